import * as fs from 'fs';
import * as path from 'path';
import { YAMLException, load as parseYaml } from 'js-yaml';
import type { core as zcore } from 'zod';
import { CLOUD_TITLES } from '../core/cloud';
import { ErrorCode, MlopsValidationError, ValidationIssue, show } from '../core/errors';
import { Naming } from '../core/naming';
import { DEPLOYER_FORMATS, NETWORK_MODES } from '../core/network';
import { IMAGE_URI_BY_DIGEST } from '../image/image-ref';
import { CLOUDS } from '../core/cloud';
import { markValidated } from './validated';
import { CONFIG_FIELDS, REGION_FORMATS, StackConfig, StackConfigSchema, fieldAt } from './schema';

/** Environment variable naming the config(s) to synthesize: names or paths, comma-separated. */
export const CONFIG_ENV_VAR = 'MLOPS_CONFIG';
/** cdktf.json context key listing the configs to synthesize. */
export const CONFIG_CONTEXT_KEY = 'mlopsConfigs';

/**
 * Validates a parsed config object. Every problem is reported at once, each
 * naming the path, the value, what is accepted and the fix.
 */
export function parseConfig(raw: unknown, source?: string): StackConfig {
  const result = StackConfigSchema.safeParse(raw);
  const issues: ValidationIssue[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) issues.push(...fromZodIssue(issue, raw));
  }
  // Cross-field rules run on what parsed, so the user sees every problem in one go.
  const input = (raw ?? {}) as Record<string, any>;
  const cloud = input.cloud;
  if (typeof cloud === 'string' && cloud in REGION_FORMATS) {
    const c = cloud as keyof typeof REGION_FORMATS;
    if (input[c] === undefined) {
      issues.push(problem(c, undefined, fieldAt([c])!.accepted, fieldAt([c])!.fix, `is required when cloud is ${c}`));
    }
    const region = input.region;
    if (typeof region === 'string' && !REGION_FORMATS[c].pattern.test(region)) {
      issues.push(problem('region', region, `a region name as ${CLOUD_TITLES[c]} spells it (${REGION_FORMATS[c].example})`, `use the region's programmatic name, not its display name`, 'is malformed'));
    }
    for (const other of Object.keys(REGION_FORMATS)) {
      if (other !== c && input[other] !== undefined) {
        issues.push(problem(other, input[other], `only the ${c} section while cloud is ${c}`, `remove the ${other} section or set cloud: ${other}`, 'does not belong to the selected cloud'));
      }
    }
    const naming = StackConfigSchema.shape.naming.safeParse(input.naming);
    if (naming.success) {
      for (const issue of new Naming(naming.data).check(c)) issues.push(issue);
    }
  }
  const model = input.deployment?.model;
  if (typeof cloud === 'string' && cloud in RELEASE_NAME_LIMITS && typeof model === 'string') {
    const naming = StackConfigSchema.shape.naming.safeParse(input.naming);
    if (naming.success) {
      const release = `${new Naming(naming.data).prefix}-${model}`;
      const limit = RELEASE_NAME_LIMITS[cloud as keyof typeof RELEASE_NAME_LIMITS];
      if (release.length > limit.max) {
        issues.push(problem('deployment.model', model, `a model name that keeps "${release}" within ${limit.max} characters (${limit.why})`, `shorten deployment.model (or naming parts) by ${release.length - limit.max} character(s)`, 'makes the release name too long'));
      }
    }
  }
  issues.push(...networkProblems(input));
  if (input.alerts !== undefined && input.deployment === undefined) {
    issues.push(problem('alerts', input.alerts, 'alerts only together with a deployment: section (they watch its endpoint and training job)', 'add a deployment: section or remove alerts:', 'has nothing to watch'));
  }
  if (cloud === 'gcp' && typeof input.alerts?.noTrafficMinutes === 'number' && input.alerts.noTrafficMinutes > 1410) {
    issues.push(problem('alerts.noTrafficMinutes', input.alerts.noTrafficMinutes, 'at most 1410 on GCP (a Cloud Monitoring absence condition waits at most 23.5 hours)', 'set 1410 or less', 'is too long for GCP'));
  }
  const instanceCount = input.deployment?.training?.instanceCount;
  if (cloud === 'gcp' && typeof instanceCount === 'number' && instanceCount > 1) {
    issues.push(problem('deployment.training.instanceCount', instanceCount, '1 on GCP (`mlops train` runs on one machine; a Vertex AI custom job would start idle replicas)', 'set instanceCount: 1 and a larger compute.training.size', 'is more than one machine'));
  }
  const rolloutInput = input.deployment?.endpoint?.rollout;
  if (cloud === 'aws' && rolloutInput) {
    if (typeof rolloutInput.bakeMinutes === 'number' && rolloutInput.bakeMinutes > 60) {
      issues.push(problem('deployment.endpoint.rollout.bakeMinutes', rolloutInput.bakeMinutes, 'at most 60 on AWS (SageMaker waits at most 3600 s between traffic shifts)', 'set 60 or less', 'is too long for SageMaker'));
    }
    if (typeof rolloutInput.stepPercent === 'number' && rolloutInput.stepPercent < 10) {
      issues.push(problem('deployment.endpoint.rollout.stepPercent', rolloutInput.stepPercent, 'at least 10 on AWS (SageMaker linear steps are 10-50% of capacity)', 'set 10 or more', 'is too small for SageMaker'));
    }
  }
  issues.push(...imageProblems(input));
  const endpoint = input.deployment?.endpoint;
  if (endpoint && typeof endpoint.minInstances === 'number' && typeof endpoint.maxInstances === 'number' && endpoint.maxInstances < endpoint.minInstances) {
    issues.push(problem('deployment.endpoint.maxInstances', endpoint.maxInstances, `at least minInstances (${endpoint.minInstances})`, 'raise maxInstances or lower minInstances', 'is below minInstances'));
  }
  if (issues.length > 0) {
    throw new MlopsValidationError(`Invalid stack config${source ? ` ${source}` : ''} (${issues.length} problem${issues.length === 1 ? '' : 's'}):`, issues);
  }
  return markValidated(result.data!);
}

/** How long `<company>-<project>-<env>-<model>` may be on each cloud, and why. */
export const RELEASE_NAME_LIMITS = {
  azure: { max: 32, why: 'Azure ML online endpoint names are 3-32 characters' },
  aws: { max: 50, why: 'SageMaker training job names are at most 63 characters, 13 of them the revision' },
  gcp: { max: 63, why: 'Vertex AI label values are at most 63 characters' },
} as const;

/** Reads, parses and validates a YAML config file. */
export function loadConfig(file: string): StackConfig {
  if (!fs.existsSync(file)) {
    const dir = path.dirname(file);
    const available = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
    throw new MlopsValidationError('Stack config not found:', [
      {
        code: ErrorCode.CONFIG_NOT_FOUND,
        path: file,
        message: `no such file. Available in ${dir}: ${available.join(', ') || '(none)'}. Fix: set ${CONFIG_ENV_VAR} to one of them (without .yaml) or to a file path.`,
      },
    ]);
  }
  const text = fs.readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    // js-yaml refuses duplicate keys, and is light to load (synth time matters).
    raw = parseYaml(text, { filename: file });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    throw new MlopsValidationError(`Stack config ${file} is not valid YAML:`, [
      {
        code: ErrorCode.CONFIG_YAML,
        path: `${file}:${err.mark ? err.mark.line + 1 : '?'}:${err.mark ? err.mark.column + 1 : '?'}`,
        message: `${err.reason}. Fix: correct the YAML syntax at that line.`,
      },
    ]);
  }
  return parseConfig(raw, file);
}

/**
 * Which configs to synthesize: `MLOPS_CONFIG` (comma-separated names or paths)
 * wins over the cdktf.json context `mlopsConfigs`; names resolve to
 * `<configDir>/<name>.yaml`.
 */
export function resolveConfigFiles(configDir: string, contextValue: unknown, env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = env[CONFIG_ENV_VAR]?.trim();
  let names: string[];
  if (fromEnv) {
    names = fromEnv.split(',').map((n) => n.trim()).filter(Boolean);
  } else if (Array.isArray(contextValue)) {
    names = contextValue.map(String);
  } else if (typeof contextValue === 'string') {
    names = contextValue.split(',').map((n) => n.trim()).filter(Boolean);
  } else {
    names = fs.readdirSync(configDir).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
  }
  return names.map((n) => (/[\\/]|\.ya?ml$/.test(n) ? path.resolve(n) : path.join(configDir, `${n}.yaml`)));
}

function problem(pathText: string, value: unknown, accepted: string, fix: string, what = 'is invalid'): ValidationIssue {
  return {
    code: ErrorCode.CONFIG_INVALID,
    path: pathText,
    message: `${what}: got ${show(value)}; accepted: ${accepted}. Fix: ${fix}.`,
  };
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let cur: any = raw;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[seg as any];
  }
  return cur;
}

function fromZodIssue(issue: zcore.$ZodIssue, raw: unknown): ValidationIssue[] {
  const segs = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const where = segs.length ? segs.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const parentPath = segs.join('.');
    const known = CONFIG_FIELDS.filter((f) => {
      const parts = f.path.split('.');
      return parts.length === segs.length + 1 && parts.slice(0, -1).join('.') === parentPath;
    }).map((f) => f.path.split('.').pop()!);
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      return {
        code: ErrorCode.CONFIG_INVALID,
        path: parentPath ? `${parentPath}.${key}` : key,
        message: `is not a known key; accepted keys here: ${known.join(', ')}. Fix: ${guess ? `rename it to '${guess}'` : 'remove it'}.`,
      };
    });
  }
  const value = valueAt(raw, segs);
  const field = fieldAt(segs);
  const what = value === undefined ? 'is required' : 'is invalid';
  if (issue.code === 'invalid_union' && segs[0] === 'backend') {
    return [problem('backend.type', valueAt(raw, ['backend', 'type']), 'one of local, s3, azurerm, gcs', 'set backend.type', what)];
  }
  return [problem(where, value, field?.accepted ?? issue.message, field?.fix ?? issue.message, what)];
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The cross-field rules of `network:` and `deployers:`. */
function networkProblems(input: Record<string, any>): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const cloud = input.cloud;
  const network = input.network ?? {};
  const mode = typeof network.mode === 'string' && (NETWORK_MODES as readonly string[]).includes(network.mode) ? network.mode : network.mode === undefined ? 'firewalled' : undefined;
  if (network.existing !== undefined && network.existing !== null && typeof network.existing === 'object') {
    if (mode !== undefined && mode !== 'private') {
      out.push(problem('network.existing', network.existing, 'an existing network only in private mode', 'set network.mode: private, or remove network.existing', `has no use in ${mode} mode`));
    }
    for (const other of CLOUDS) {
      if (other !== cloud && network.existing[other] !== undefined && typeof cloud === 'string') {
        out.push(problem(`network.existing.${other}`, network.existing[other], `only network.existing.${cloud} while cloud is ${cloud}`, `move the network under network.existing.${cloud} or remove it`, 'does not belong to the selected cloud'));
      }
    }
    if (mode === 'private' && typeof cloud === 'string' && network.existing[cloud] === undefined) {
      out.push(problem(`network.existing.${cloud}`, undefined, `the ${cloud} network when network.existing is given`, `add network.existing.${cloud}, or remove network.existing to let the stack create the network`, 'is required'));
    }
  }
  if (network.addressSpace !== undefined) {
    const prefix = Number(String(network.addressSpace).split('/')[1]);
    if (typeof network.addressSpace === 'string' && /\//.test(network.addressSpace) && (prefix < 8 || prefix > 24)) {
      out.push(problem('network.addressSpace', network.addressSpace, 'an IPv4 CIDR from /8 to /24 (the platform needs room for its subnets)', 'use a /16 such as 10.40.0.0/16', 'is out of range'));
    }
    if (mode !== undefined && mode !== 'private') {
      out.push(problem('network.addressSpace', network.addressSpace, 'an address space only in private mode', 'set network.mode: private, or remove network.addressSpace', `has no use in ${mode} mode`));
    } else if (network.existing !== undefined) {
      out.push(problem('network.addressSpace', network.addressSpace, 'an address space only when the stack creates the network', 'remove network.addressSpace (the existing network has its own)', 'has no use with network.existing'));
    }
  }
  if (mode === 'public' && Array.isArray(network.allowedIpRanges) && network.allowedIpRanges.length > 0) {
    out.push(problem('network.allowedIpRanges', network.allowedIpRanges, 'ranges only in firewalled or private mode (public mode has no firewall to let them through)', 'set network.mode: firewalled to keep the firewall, or remove the ranges', 'has no use in public mode'));
  }
  if (typeof cloud === 'string' && cloud in DEPLOYER_FORMATS && Array.isArray(input.deployers)) {
    const format = DEPLOYER_FORMATS[cloud as keyof typeof DEPLOYER_FORMATS];
    input.deployers.forEach((d: unknown, i: number) => {
      if (typeof d === 'string' && !format.pattern.test(d)) {
        out.push(problem(`deployers.${i}`, d, `${format.accepted} on ${CLOUD_TITLES[cloud as keyof typeof CLOUD_TITLES]}`, `find yours with ${format.example}`, 'is not a principal of the selected cloud'));
      }
    });
  }
  if (input.ci !== undefined && input.deployers === undefined) {
    out.push(problem('deployers', undefined, 'the principals that deploy by hand, listed explicitly while ci: is set', 'list who runs the first deploy (and any later manual one), e.g. deployers: [<your object id / role ARN / user:email>]; CI is added by ci: itself', 'is required with ci:'));
  }
  return out;
}

/** The registry hosts each cloud's ML service pulls a custom image from, for `deployment.image.uri`. */
const IMAGE_REGISTRY_HOSTS: Partial<Record<string, { readonly pattern: RegExp; readonly accepted: string }>> = {
  aws: { pattern: /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//, accepted: 'an Amazon ECR image (<account>.dkr.ecr.<region>.amazonaws.com/…): SageMaker runs training and hosting images from ECR' },
  gcp: { pattern: /^([a-z0-9-]+-docker\.pkg\.dev|([a-z]+\.)?gcr\.io)\//, accepted: 'an Artifact Registry image (<region>-docker.pkg.dev/…) or gcr.io: Vertex AI runs custom containers from Google\'s registries' },
};

/** The cross-field rules of `deployment.image`: built or given, not both; a given image in a registry the cloud's ML service pulls from. */
function imageProblems(input: Record<string, any>): ValidationIssue[] {
  const image = input.deployment?.image;
  if (!image || typeof image !== 'object' || typeof image.uri !== 'string') return [];
  const out: ValidationIssue[] = [];
  if (image.platform !== undefined) {
    out.push(problem('deployment.image.platform', image.platform, 'a build platform only when the image is built (no deployment.image.uri)', 'remove deployment.image.platform (the given image is used as is), or remove deployment.image.uri to build the image at deploy', 'has no use with deployment.image.uri'));
  }
  const hosts = IMAGE_REGISTRY_HOSTS[input.cloud];
  if (hosts && IMAGE_URI_BY_DIGEST.test(image.uri) && !hosts.pattern.test(image.uri)) {
    out.push(problem('deployment.image.uri', image.uri, hosts.accepted, `push the image to the platform's registry (stack output image_uri) and give that reference, pinned by digest`, `is not in a registry ${CLOUD_TITLES[input.cloud as keyof typeof CLOUD_TITLES]} pulls from`));
  }
  return out;
}
