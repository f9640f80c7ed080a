import { createHash } from 'crypto';
import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address';
import { VertexAiEndpoint } from '@cdktf/provider-google/lib/vertex-ai-endpoint';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IssueCollector } from '../../core/errors';
import { ComputeSize } from '../../core/sizes';
import { GcpMlPlatform } from '../../gcp/platform';
import { IScoringEndpoint, ITrainingJob, RolloutPolicy, ScoringEndpointProps } from '../contracts';
import { ReleaseStep } from '../release-step';
import { releaseRevision } from '../revision';
import { GCP_RELEASE_NAME_MAX, RELEASE_NAME, acceleratorOf, gcpMachineOf, gcpPlatformOf, grantsOf } from './private/common';
import { GcpTrainingJob } from './training-job';
import { PropChecks } from '../../core/validate';
import { RELEASE_SPEC_VERSION } from '../../core/release';
import { SETTING_DEFAULTS } from '../../core/settings';
import { checkRuntimeImage, endpointSettingsOf } from '../settings';

/** The rollout with its defaults filled in (the neutral defaults, `SETTING_DEFAULTS.rollout` in lib/core/settings.ts). */
export const GCP_DEFAULT_ROLLOUT = SETTING_DEFAULTS.rollout;
/** The alarm thresholds with their defaults filled in (the neutral defaults, `SETTING_DEFAULTS.alarms`). */
export const GCP_DEFAULT_ALARMS = SETTING_DEFAULTS.alarms;

/** The GCP construct behind a training job: the job itself, or the `resource` of the cloud-neutral `TrainingJob`. */
function gcpJobOf(job: ITrainingJob | undefined): GcpTrainingJob | undefined {
  if (job instanceof GcpTrainingJob) return job;
  const inner = (job as { resource?: unknown } | undefined)?.resource;
  return inner instanceof GcpTrainingJob ? inner : undefined;
}

/**
 * A Vertex AI endpoint (`google_vertex_ai_endpoint`, CMEK-encrypted with the
 * platform key) serving a {@link GcpTrainingJob}'s model version with the
 * runtime image, and the release step that deploys that version with
 * dedicated, autoscaled replicas and shifts traffic to it blue/green (canary,
 * linear or all at once, with a bake and a health check of the new
 * deployment's 5xx rate and p95 latency before each shift, rolled back when
 * unhealthy). The deployed model runs as the platform's service account.
 */
export class GcpScoringEndpoint extends Construct implements IScoringEndpoint {
  /** The cloud this endpoint runs on. */
  public readonly cloud = 'gcp' as const;
  /** The endpoint's display name. */
  public readonly endpointName: string;
  /**
   * The URL that serves predictions: in `private` network mode
   * `https://<reserved internal IP>/v1/projects/<p>/locations/<r>/endpoints/<id>:predict`
   * (through the Private Service Connect forwarding rule, from inside the VPC),
   * else the regional public endpoint (IAM-authenticated)
   * `https://<region>-aiplatform.googleapis.com/v1/…:predict`.
   */
  public readonly endpointUrl: string;
  /** In `private` mode: the reserved internal IPv4 address clients in the VPC call. */
  public readonly privateAddress?: string;
  /** In `private` mode: the name of the Private Service Connect forwarding rule the release step keeps on that address. */
  public readonly forwardingRuleName?: string;
  /** The endpoint resource name, `projects/<p>/locations/<r>/endpoints/<id>`. */
  public readonly endpointId: string;
  /** The endpoint's numeric id (known at synth): what Cloud Monitoring labels its metrics with. */
  public readonly endpointNumericId: string;
  /** The training revision whose model version the endpoint serves. */
  public readonly modelVersion: string;
  /** The release step: the endpoint exists and serves the version. */
  public readonly deployed: ITerraformDependable;
  /** 12 hex: changes when the served version or the deployment's machine and scaling change. */
  public readonly revision: string;
  /** The endpoint resource. */
  public readonly endpoint: VertexAiEndpoint;
  /** The release step (`terraform_data` running `mlops release apply|destroy`). */
  public readonly releaseStep: ReleaseStep;
  /** The release name of the job whose model the endpoint serves (the Vertex AI model id). */
  public readonly releaseName: string;
  /** The Compute Engine machine type of each replica. */
  public readonly machineType: string;
  /** The accelerator of each replica, if any. */
  public readonly accelerator?: { readonly type: string; readonly count: number };
  /** Fewest replicas of a deployment. */
  public readonly minInstances: number;
  /** Most replicas of a deployment. */
  public readonly maxInstances: number;
  /** How the release step shifts traffic to a new version. */
  public readonly rollout: RolloutPolicy;

  constructor(scope: Construct, id: string, props: ScoringEndpointProps) {
    super(scope, id);
    const where = this.node.path;
    const C = 'GcpScoringEndpoint';
    const issues = new IssueCollector();
    const bad = (prop: string, value: unknown, accepted: string): void => new PropChecks(issues, C, where).invalid(prop, value, accepted);

    const platform = gcpPlatformOf(new PropChecks(issues, C, where), props?.platform);
    checkRuntimeImage(new PropChecks(issues, C, where), props?.image);
    const job = gcpJobOf(props?.job);
    if (!job) bad('job', props?.job?.node?.path ?? props?.job, 'a GcpTrainingJob, or a TrainingJob on a GcpMlPlatform: the endpoint serves its Vertex AI model');
    const name = props?.name ?? job?.releaseName;
    if (typeof name !== 'string' || !RELEASE_NAME.test(name)) {
      bad(
        'name',
        props?.name,
        `lowercase letters, digits and hyphens, at most ${GCP_RELEASE_NAME_MAX}, starting with a letter and not ending with a hyphen, e.g. "contoso-mlops-dev-bike-demand"`,
      );
    }
    const { minInstances, maxInstances, rollout, alarms } = endpointSettingsOf(new PropChecks(issues, C, where), props);
    const machine = gcpMachineOf(new PropChecks(issues, C, where), 'size', props?.size, ComputeSize.small());
    if (platform && job && job.platform !== platform) {
      bad('job', job.node.path, `a job on the same platform (${platform.node.path}): the endpoint deploys the job's model from that platform's registry, as its service account`);
    }
    issues.throwIfAny(`Invalid ${C} props:`);
    const gcp = platform as GcpMlPlatform;
    const j = job!;
    const m = machine!;
    const endpointName = name as string;

    const projectId = gcp.workspace.projectId;
    const region = gcp.workspace.region;
    const accelerator = acceleratorOf(m);
    const isPrivate = gcp.network.mode === 'private';
    this.endpointName = endpointName;
    this.releaseName = j.releaseName;
    this.machineType = m.instanceType;
    this.accelerator = accelerator;
    this.minInstances = minInstances;
    this.maxInstances = maxInstances;
    this.rollout = rollout;
    this.modelVersion = j.modelVersion;
    this.endpointNumericId = numericEndpointId(projectId, region, endpointName);
    // What is deployed: a change re-runs the step (a new deployment, traffic shifted to it).
    // The rollout policy and thresholds only steer the next rollout: not part of it.
    this.revision = releaseRevision(props.image.contentHash, {
      cloud: 'gcp',
      kind: 'endpoint',
      name: endpointName,
      modelRevision: j.revision,
      machineType: m.instanceType,
      accelerator,
      minInstances,
      maxInstances,
      projectId: Token.isUnresolved(projectId) ? undefined : projectId,
      region: Token.isUnresolved(region) ? undefined : region,
    });

    // The deployed model runs as the identity and pulls the image; the platform grants both already.
    gcp.imageRegistry.grantPull(gcp.identity);
    gcp.workspace.grantUse(gcp.identity);
    const agentKey = gcp.bindKeyServiceAgent('aiplatform');

    this.endpoint = new VertexAiEndpoint(this, 'Resource', {
      project: projectId,
      location: region,
      name: this.endpointNumericId,
      displayName: endpointName,
      description: `Scoring endpoint of release ${j.releaseName}; managed by cdktf-mlops.`,
      labels: { mlops_release: j.releaseName, mlops_model: j.modelName, 'managed-by': 'cdktf-mlops' },
      encryptionSpec: { kmsKeyName: gcp.encryptionKey.keyId },
      // Private mode: predictions only through Private Service Connect from the platform's project
      // (CKV2_GCP_33). Public and firewalled mode: the public endpoint, IAM-authenticated (Vertex AI
      // endpoints have no IP filter; a PSC endpoint needs a network those modes do not have).
      privateServiceConnectConfig: isPrivate ? { enablePrivateServiceConnect: true, projectAllowlist: [projectId] } : undefined,
      // The API is on and Vertex AI's service agent may use the key before the CMEK endpoint is made.
      dependsOn: [...gcp.services.dependenciesFor('aiplatform.googleapis.com'), agentKey],
    });
    this.endpointId = this.endpoint.id;
    let psc: { network: string; address: string; forwardingRule: string } | undefined;
    if (isPrivate) {
      // The consumer side of Private Service Connect: a reserved internal address in the workload
      // subnet. The forwarding rule on it needs the service attachment Vertex AI makes when a model is
      // deployed, so the release step (which deploys) creates it and keeps it pointed there.
      const address = new ComputeAddress(this, 'PrivateAddress', {
        project: projectId,
        region,
        name: `${endpointName}-psc`,
        description: `Private Service Connect address of the scoring endpoint ${endpointName}; managed by cdktf-mlops.`,
        addressType: 'INTERNAL',
        subnetwork: gcp.network.subnetworkId!,
        dependsOn: [...gcp.network.dependables],
      });
      this.privateAddress = address.address;
      this.forwardingRuleName = `${endpointName}-psc`;
      psc = { network: gcp.network.networkId!, address: address.address, forwardingRule: this.forwardingRuleName };
      this.endpointUrl = `https://${address.address}/v1/${this.endpoint.id}:predict`;
    } else {
      this.endpointUrl = `https://${region}-aiplatform.googleapis.com/v1/${this.endpoint.id}:predict`;
    }

    this.releaseStep = new ReleaseStep(this, 'Release', {
      spec: {
        specVersion: RELEASE_SPEC_VERSION,
        kind: 'endpoint',
        cloud: 'gcp',
        name: j.releaseName,
        modelName: j.modelName,
        revision: this.revision,
        image: props.image.imageUriByDigest,
        endpoint: {
          name: endpointName,
          instanceType: m.instanceType,
          minInstances,
          maxInstances,
          rollout,
          alarms,
        },
        gcp: {
          project: projectId,
          region,
          serviceAccount: gcp.identity.email,
          kmsKeyName: gcp.encryptionKey.keyId,
          endpoint: this.endpoint.id,
          modelId: j.modelId,
          modelRevision: j.revision,
          ...(accelerator ? { accelerator } : {}),
          ...(psc ? { psc } : {}),
        },
      },
      triggers: { image_digest: props.image.imageDigest, revision: this.revision },
      // The model version is registered, the endpoint exists, and the identity may run the deployment.
      dependsOn: [j.trained, this.endpoint, ...grantsOf(gcp, gcp.identity)],
    });
    this.deployed = this.releaseStep.resource;
  }
}

/**
 * A Vertex AI endpoint id for `name` in a project and region: Terraform's
 * `google_vertex_ai_endpoint` needs one (at most 10 digits, no leading zero).
 * Derived from a hash, so it is the same on every synth and differs between
 * endpoints.
 */
export function numericEndpointId(projectId: string, region: string, name: string): string {
  const digest = createHash('sha256').update(`${projectId}/${region}/${name}`).digest();
  const n = digest.readBigUInt64BE(0) % 9_000_000_000n;
  return (n + 1_000_000_000n).toString();
}
