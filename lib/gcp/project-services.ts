import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { checkProjectId } from './private/validation';
import { PropChecks } from '../core/validate';

/** The Google APIs the ML platform needs enabled in its project. */
export const GCP_PLATFORM_APIS = [
  'aiplatform.googleapis.com',
  'artifactregistry.googleapis.com',
  'cloudkms.googleapis.com',
  'storage.googleapis.com',
  'iam.googleapis.com',
  'logging.googleapis.com',
  'monitoring.googleapis.com',
  'secretmanager.googleapis.com',
] as const;

/**
 * APIs the platform enables only when it needs them: Compute Engine for the
 * VPC network of `private` mode, Cloud Scheduler for a pipeline's schedule.
 */
export const GCP_OPTIONAL_APIS = ['compute.googleapis.com', 'cloudscheduler.googleapis.com'] as const;

/** One of the Google APIs the platform enables. */
export type GcpPlatformApi = (typeof GCP_PLATFORM_APIS)[number] | (typeof GCP_OPTIONAL_APIS)[number];

const KNOWN_APIS: readonly string[] = [...GCP_PLATFORM_APIS, ...GCP_OPTIONAL_APIS];

/** Props of {@link GcpProjectServices}. */
export interface GcpProjectServicesProps {
  /** The project the APIs are enabled in. */
  readonly projectId: string;
  /**
   * The APIs to enable (from GCP_PLATFORM_APIS and GCP_OPTIONAL_APIS).
   * @default - every API in GCP_PLATFORM_APIS
   */
  readonly apis?: readonly GcpPlatformApi[];
}

/**
 * Enables the Google APIs the platform uses (`google_project_service`), never
 * disabling them on destroy: other workloads in the project may rely on them.
 * Resource constructs depend on the API they need through {@link dependenciesFor}.
 */
export class GcpProjectServices extends Construct {
  /** The project the APIs are enabled in. */
  public readonly projectId: string;
  /** The APIs this construct enables. */
  public readonly apis: readonly GcpPlatformApi[];
  private readonly services = new Map<string, ProjectService>();

  constructor(scope: Construct, id: string, props: GcpProjectServicesProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkProjectId(new PropChecks(issues, 'GcpProjectServices', this.node.path), props.projectId);
    for (const api of props.apis ?? []) {
      if (Token.isUnresolved(api)) continue;
      if (!KNOWN_APIS.includes(api)) {
        issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('GcpProjectServices', 'apis', api, `one of ${KNOWN_APIS.join(', ')}`));
      }
    }
    issues.throwIfAny('Invalid GcpProjectServices props:');

    this.projectId = props.projectId;
    this.apis = [...(props.apis ?? GCP_PLATFORM_APIS)];
    for (const api of this.apis) {
      const service = new ProjectService(this, api.split('.')[0]!, {
        project: props.projectId,
        service: api,
        disableOnDestroy: false,
        disableDependentServices: false,
      });
      this.services.set(api, service);
    }
  }

  /**
   * Enables `api` too (one of GCP_OPTIONAL_APIS or GCP_PLATFORM_APIS), for a
   * construct that needs it after the platform was built (a pipeline's
   * schedule needs Cloud Scheduler). Idempotent; returns what to depend on.
   */
  enable(api: GcpPlatformApi): ITerraformDependable[] {
    if (!KNOWN_APIS.includes(api)) throw new Error(`GcpProjectServices.enable: unknown API ${api}`);
    if (!this.services.has(api)) {
      this.services.set(api, new ProjectService(this, api.split('.')[0]!, { project: this.projectId, service: api, disableOnDestroy: false, disableDependentServices: false }));
      (this.apis as GcpPlatformApi[]).push(api);
    }
    return this.dependenciesFor(api);
  }

  /** The resources to depend on before using `api` (empty when this construct does not enable it). */
  dependenciesFor(...apis: GcpPlatformApi[]): ITerraformDependable[] {
    return apis.map((api) => this.services.get(api)).filter((s): s is ProjectService => s !== undefined);
  }
}
