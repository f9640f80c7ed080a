import { createHash } from 'crypto';
import { Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { Cloud, CLOUD_TITLES } from '../core/cloud';
import { IMlPlatform } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { IContinuousTraining, IScoringEndpoint, ITrainingJob } from '../deploy/contracts';

/** Thresholds the production alerts fire on. */
export interface AlertThresholds {
  /**
   * Server errors (5xx) as a share of the endpoint's requests, in percent,
   * over {@link EVALUATION_WINDOW_MINUTES} minutes (`deployment.endpoint.alarms.errorRatePercent`).
   * @default 5
   */
  readonly errorRatePercent?: number;
  /**
   * p95 latency of the endpoint in milliseconds over {@link EVALUATION_WINDOW_MINUTES}
   * minutes (`deployment.endpoint.alarms.latencyP95Ms`).
   * @default 1000
   */
  readonly latencyP95Ms?: number;
  /**
   * Alert when the endpoint receives no request for this many minutes (`alerts.noTrafficMinutes`).
   * @default 60
   */
  readonly noTrafficMinutes?: number;
}

/** Who is notified (`alerts.email`, `alerts.webhooks`). At least one receiver is required. */
export interface AlertReceivers {
  /** Email addresses. @default [] */
  readonly email?: readonly string[];
  /** HTTPS webhook URLs. @default [] */
  readonly webhooks?: readonly string[];
}

/** Props of the alert constructs, the same on every cloud. */
export interface EndpointAlertsProps {
  /** The platform the endpoint and the job run on (its workspace, logs, key). */
  readonly platform: IMlPlatform;
  /** The scoring endpoint the error-rate, latency and no-traffic alerts watch. */
  readonly endpoint: IScoringEndpoint;
  /** The training job whose release's job failures raise an alert. */
  readonly job: ITrainingJob;
  /** The pipeline on the cloud's engine whose failed runs (and failed deploys) raise an alert. @default - none */
  readonly pipeline?: IContinuousTraining;
  /** @default { errorRatePercent: 5, latencyP95Ms: 1000, noTrafficMinutes: 60 } */
  readonly thresholds?: AlertThresholds;
  /** Email and webhook receivers; at least one. */
  readonly receivers: AlertReceivers;
  /**
   * The job-name prefix the training-failure alert matches: every job of this
   * release, of this and of later revisions.
   * @default - `job.jobName` up to its revision (`<name>-<revision>` → `<name>-`)
   */
  readonly trainingJobPrefix?: string;
  /**
   * Tags (labels on GCP) on the alert resources that take them.
   * @default - none besides the provider's default tags
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The alerts of one endpoint and its training job. */
export interface IEndpointAlerts extends IConstruct {
  /** The cloud the alerts live on. */
  readonly cloud: Cloud;
  /**
   * The alerts' names, in order: error rate, latency p95, no traffic,
   * training failure, then pipeline failure when a pipeline is watched (alarm / alert rule / alert policy display names).
   */
  readonly alertNames: readonly string[];
  /** Where notifications go: the SNS topic ARN, the action group id, or the notification channel ids. */
  readonly notificationTargets: readonly string[];
}

/** Thresholds with their defaults applied. */
export interface ResolvedThresholds {
  /** Server error (5xx) share of invocations, in percent, that raises the error-rate alert. */
  readonly errorRatePercent: number;
  /** p95 model latency, in milliseconds, that raises the latency alert. */
  readonly latencyP95Ms: number;
  /** Minutes without a request that raise the no-traffic alert. */
  readonly noTrafficMinutes: number;
}

/** Props after validation: defaults applied, receivers as arrays. */
export interface ResolvedAlertProps {
  readonly thresholds: ResolvedThresholds;
  readonly email: readonly string[];
  readonly webhooks: readonly string[];
  /** The endpoint's name: every alert name derives from it. */
  readonly baseName: string;
  /** The job-name prefix of the training-failure alert. */
  readonly jobPrefix: string;
}

/** Minutes the error-rate and latency alerts evaluate over, on every cloud. */
export const EVALUATION_WINDOW_MINUTES = 5;

/** Default thresholds (the stack config's defaults). */
export const DEFAULT_THRESHOLDS: ResolvedThresholds = { errorRatePercent: 5, latencyP95Ms: 1000, noTrafficMinutes: 60 };

/** The email format the stack config accepts (`alerts.email.*`). */
export const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * Checks the props every cloud's alerts share and applies the defaults.
 * Throws one {@link MlopsValidationError} listing every problem.
 */
export function resolveAlertProps(
  construct: string,
  scope: IConstruct,
  cloud: Cloud,
  props: EndpointAlertsProps,
  extra: (issues: IssueCollector, resolved: ResolvedThresholds) => void = () => undefined,
): ResolvedAlertProps {
  const issues = new IssueCollector();
  const path = scope.node.path;
  const prop = (name: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, name, value, accepted));

  for (const [name, member] of [
    ['platform', props.platform],
    ['endpoint', props.endpoint],
    ['job', props.job],
  ] as const) {
    if (!member) {
      prop(name, member, `the ${CLOUD_TITLES[cloud]} ${name === 'job' ? 'training job' : name === 'endpoint' ? 'scoring endpoint' : 'platform'} the alerts watch`);
    } else if (member.cloud !== cloud) {
      issues.add(
        ErrorCode.CLOUD_MISMATCH,
        path,
        `The '${name}' prop of ${construct} belongs to ${CLOUD_TITLES[member.cloud] ?? String(member.cloud)}, but ${construct} builds ${CLOUD_TITLES[cloud]} alerts. ` +
          `Fix: pass the ${name} of the ${CLOUD_TITLES[cloud]} platform, or use EndpointAlerts, which picks the cloud from platform.cloud.`,
      );
    }
  }

  const t = props.thresholds ?? {};
  const thresholds: ResolvedThresholds = {
    errorRatePercent: t.errorRatePercent ?? DEFAULT_THRESHOLDS.errorRatePercent,
    latencyP95Ms: t.latencyP95Ms ?? DEFAULT_THRESHOLDS.latencyP95Ms,
    noTrafficMinutes: t.noTrafficMinutes ?? DEFAULT_THRESHOLDS.noTrafficMinutes,
  };
  if (!(typeof thresholds.errorRatePercent === 'number' && thresholds.errorRatePercent > 0 && thresholds.errorRatePercent <= 100)) {
    prop('thresholds.errorRatePercent', thresholds.errorRatePercent, 'a percentage above 0 and at most 100, such as 5 (deployment.endpoint.alarms.errorRatePercent)');
  }
  if (!isIntIn(thresholds.latencyP95Ms, 1, 600000)) {
    prop('thresholds.latencyP95Ms', thresholds.latencyP95Ms, 'a whole number of milliseconds from 1 to 600000, such as 1000 (deployment.endpoint.alarms.latencyP95Ms)');
  }
  if (!isIntIn(thresholds.noTrafficMinutes, 5, 1440)) {
    prop('thresholds.noTrafficMinutes', thresholds.noTrafficMinutes, 'a whole number of minutes from 5 to 1440, such as 60 (alerts.noTrafficMinutes)');
  }

  const email = [...(props.receivers?.email ?? [])];
  const webhooks = [...(props.receivers?.webhooks ?? [])];
  if (email.length + webhooks.length === 0) {
    prop(
      'receivers',
      props.receivers,
      'at least one email address or webhook URL: alerts nobody receives are not alerts (set alerts.email: [ops@example.com] or alerts.webhooks: [https://…] in the stack config)',
    );
  }
  email.forEach((address, i) => {
    if (typeof address !== 'string' || (!Token.isUnresolved(address) && !EMAIL_PATTERN.test(address))) {
      prop(`receivers.email[${i}]`, address, 'an email address such as ops@example.com (alerts.email)');
    }
  });
  webhooks.forEach((url, i) => {
    if (typeof url !== 'string' || (!Token.isUnresolved(url) && !isHttpsUrl(url))) {
      prop(`receivers.webhooks[${i}]`, url, 'an https:// URL such as https://hooks.example.com/alerts (alerts.webhooks); plain http is refused');
    }
  });
  for (const [name, list] of [
    ['receivers.email', email.map((e) => (typeof e === 'string' ? e.toLowerCase() : e))],
    ['receivers.webhooks', webhooks],
  ] as const) {
    const seen = new Set<unknown>();
    for (const value of list) {
      if (seen.has(value)) prop(name, value, 'a list without duplicates (each receiver would be notified twice); remove the repeated entry');
      seen.add(value);
    }
  }

  let baseName = '';
  let jobPrefix = '';
  if (props.endpoint && props.job) {
    baseName = props.endpoint.endpointName;
    if (typeof baseName !== 'string' || baseName.length === 0) {
      prop('endpoint.endpointName', baseName, 'the endpoint name every alert name derives from');
    }
    jobPrefix = props.trainingJobPrefix ?? trainingJobPrefix(props.job);
    if (typeof jobPrefix !== 'string' || jobPrefix.length === 0) {
      prop('trainingJobPrefix', jobPrefix, 'a non-empty job-name prefix such as "contoso-mlops-dev-bike-demand-"');
    }
  }

  extra(issues, thresholds);
  issues.throwIfAny(`Invalid ${construct} props:`);
  return { thresholds, email, webhooks, baseName, jobPrefix };
}

/**
 * The job-name prefix shared by every revision's training job of a release:
 * the job name up to the revision it carries (`<release>-<revision>` →
 * `<release>-`). A job name that does not carry its revision (or is not
 * known at synth) is matched whole.
 */
export function trainingJobPrefix(job: ITrainingJob): string {
  const name = job.jobName;
  const revision = job.revision;
  if (typeof name !== 'string' || Token.isUnresolved(name)) return name;
  if (typeof revision === 'string' && revision.length > 0 && !Token.isUnresolved(revision)) {
    const at = name.lastIndexOf(revision);
    if (at > 0) return name.slice(0, at);
  }
  return name;
}

/**
 * `<base>-<suffix>` within `max` characters. A base that makes it too long is
 * cut and given 6 hex of its sha256, so names stay unique and deterministic.
 */
export function alertName(base: string, suffix: string, max: number): string {
  const full = `${base}-${suffix}`;
  if (Token.isUnresolved(base) || full.length <= max) return full;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 6);
  const room = max - suffix.length - hash.length - 2;
  return `${base.slice(0, Math.max(1, room)).replace(/-+$/, '')}-${hash}-${suffix}`;
}

/** Descriptions naming each alert's threshold and the config field it comes from. */
export const alertDescriptions = {
  errorRate: (endpoint: string, t: ResolvedThresholds, how: string): string =>
    `Scoring endpoint ${endpoint}: server errors (5xx) above ${t.errorRatePercent}% of requests over ${EVALUATION_WINDOW_MINUTES} minutes ` +
    `(threshold: deployment.endpoint.alarms.errorRatePercent = ${t.errorRatePercent}). ${how}`,
  latency: (endpoint: string, t: ResolvedThresholds, how: string): string =>
    `Scoring endpoint ${endpoint}: p95 latency above ${t.latencyP95Ms} ms over ${EVALUATION_WINDOW_MINUTES} minutes ` +
    `(threshold: deployment.endpoint.alarms.latencyP95Ms = ${t.latencyP95Ms}). ${how}`,
  noTraffic: (endpoint: string, t: ResolvedThresholds, how: string): string =>
    `Scoring endpoint ${endpoint}: no request for ${t.noTrafficMinutes} minutes ` + `(threshold: alerts.noTrafficMinutes = ${t.noTrafficMinutes}). ${how}`,
  trainingFailed: (subject: string, how: string): string => `Training job failed: ${subject} ended in failure (threshold: any failed job). ${how}`,
  pipelineFailed: (subject: string, how: string): string => `Pipeline run failed: ${subject} ended in failure (threshold: any failed run). ${how}`,
};

function isIntIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isHttpsUrl(value: string): boolean {
  if (!/^https:\/\/[^\s]+$/.test(value)) return false;
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
