import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { SagemakerPipeline } from '@cdktf/provider-aws/lib/sagemaker-pipeline';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import { Construct } from 'constructs';
import { arn } from '../../aws/arn';
import { AwsArtifactStore } from '../../aws/artifact-store';
import { AwsMlPlatform } from '../../aws/platform';
import {
  AWS_PIPELINE_SERVICE_ROLES,
  IAM_PASS_ROLE_ACTIONS,
  KMS_DECRYPT_ACTIONS,
  S3_OBJECT_READ_ACTIONS,
  SAGEMAKER_DEPLOY_ACTIONS,
  SAGEMAKER_MODEL_PACKAGE_READ_ACTIONS,
  SAGEMAKER_MODEL_PACKAGE_WRITE_ACTIONS,
  SAGEMAKER_PIPELINE_LIST_ACTIONS,
  SAGEMAKER_PIPELINE_START_ACTIONS,
  SAGEMAKER_PROCESSING_ACTIONS,
  SAGEMAKER_SERVICE_PRINCIPAL,
  STATES_START_ACTIONS,
  STS_ASSUME_ROLE_ACTION,
} from '../../aws/perms';
import { policyDocument } from '../../aws/policy-document';
import { ErrorCode, IssueCollector, MlopsValidationError, messages } from '../../core/errors';
import { DEFAULT_TIME_ZONE, toEventBridgeCron } from '../../core/schedule';
import { PropChecks } from '../../core/validate';
import { ContinuousTrainingProps, IContinuousTraining, Schedule } from '../contracts';
import { checkRuntimeImage } from '../settings';
import { AWS_RELEASE_NAME, awsHasInstanceStorage, awsPlatformOf, checkAwsInstanceType } from './common';
import { AwsDefinitionInput, compileBatchDefinition, compilePipeline, stableJson } from './pipeline-definition';
import { deployMachineDefinition } from './pipeline-deploy';
import { startMachineDefinition } from './pipeline-start';
import { AWS_ENDPOINT_VARIANT, AwsScoringEndpoint } from './scoring-endpoint';
import { linearTokenText } from '../../private/token-text';

/** The pipeline's service roles: names and the service each is passed to. */
const ROLES = AWS_PIPELINE_SERVICE_ROLES;
/** SageMaker's limit on a processing job's run time (5 days), in minutes. */
const MAX_PROCESSING_MINUTES = 5 * 24 * 60;
/** The longest release name: `<name>-scheduler` (IAM role, 64) and `<name>-batch-schedule` (Scheduler, 64) must fit. */
const MAX_NAME = 48;
/** The EventBridge detail type of model package changes (approval). */
export const MODEL_PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';
/** The pipeline's tag with its revision (the value model versions record as `mlops:pipeline-revision`). */
export const PIPELINE_REVISION_TAG = 'mlops-pipeline-revision';
/** The EventBridge detail type of pipeline execution status changes. */
export const PIPELINE_EXECUTION_STATUS_CHANGE = 'SageMaker Model Building Pipeline Execution Status Change';

/**
 * The pipeline file's plan on SageMaker Pipelines (see
 * `pipeline-definition.ts` for the definition's layout), and what runs it:
 * - a dedicated pipeline execution role (SageMaker): starts the steps'
 *   processing jobs as the platform's workload identity (`iam:PassRole` on it
 *   only, to SageMaker only), registers in the platform's model package
 *   group, reads the gate's decision file;
 * - `schedule`: an EventBridge Scheduler schedule (templated SageMaker target)
 *   with a role that may only start this pipeline;
 * - the deploy action (plan has a serve step): an EventBridge rule on the
 *   approval of a model package in the group starts a Step Functions state
 *   machine that rolls the package out to the endpoint through its blue/green
 *   configuration (`pipeline-deploy.ts`); Terraform then leaves the endpoint's
 *   configuration to the pipeline (`ignore_changes`);
 * - `batch`: a scoring step after each promotion inside the pipeline, and
 *   with `batch.schedule` a second pipeline (`<name>-batch`) on its own
 *   schedule scoring with the registry's champion.
 */
export class AwsContinuousTraining extends Construct implements IContinuousTraining {
  /** The cloud: aws. */
  public readonly cloud = 'aws' as const;
  /** The SageMaker pipeline's name (the release name). */
  public readonly pipelineName: string;
  /** The pipeline definition (object; the resource holds {@link stableJson} of it). */
  public readonly definition: Readonly<Record<string, unknown>>;
  /** The pipeline revision: a hash of the definition, recorded by each model version it registers and tagged on the pipeline. */
  public readonly revision!: string;
  /** `aws stepfunctions start-execution …` of the start gate. */
  public readonly runCommand: string;
  /** The pipeline. */
  public readonly pipeline: SagemakerPipeline;
  /** The pipeline's ARN. */
  public readonly pipelineArn: string;
  /** The role SageMaker Pipelines runs the pipeline as. */
  public readonly pipelineRole: IamRole;
  /** The training schedule, with `schedule`. */
  public readonly schedule?: SchedulerSchedule;
  /** The batch pipeline, with `batch.schedule`. */
  public readonly batchPipeline?: SagemakerPipeline;
  /** The deploy state machine, when the plan deploys. */
  public readonly deployMachine?: SfnStateMachine;
  /** The start gate: starts a training run unless one is executing (what the schedule and {@link runCommand} start). */
  public readonly startMachine: SfnStateMachine;
  /** ARNs of the pipelines and state machine whose failures alerts watch. */
  public readonly watched: { readonly pipelineArns: readonly string[]; readonly stateMachineArns: readonly string[] };

  constructor(scope: Construct, id: string, props: ContinuousTrainingProps) {
    super(scope, id);
    const C = 'AwsContinuousTraining';
    const where = this.node.path;
    const issues = new IssueCollector();
    const check = () => new PropChecks(issues, C, where);
    const platform = awsPlatformOf(check(), props.platform);
    checkRuntimeImage(check(), props.image);
    if (check().known('name', props.name, 'lowercase letters, digits and hyphens, starting with a letter', AWS_RELEASE_NAME) && props.name.length > MAX_NAME) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(C, 'name', props.name, `at most ${MAX_NAME} characters (the schedule and role names "<name>-batch-schedule", "<name>-scheduler" must fit 64)`),
      );
    }
    check().int('maxRuntimeMinutes', props.maxRuntimeMinutes, 1, MAX_PROCESSING_MINUTES);
    const instanceType = props.size?.machineFor('aws').instanceType ?? '';
    checkAwsInstanceType(check(), 'size', instanceType);
    const plan = props.plan.plan;
    const endpoint = awsEndpointOf(props.endpoint);
    if (plan.deploy && !endpoint) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(C, 'endpoint', props.endpoint?.constructor?.name, `the AwsScoringEndpoint that step '${plan.deploy.step}' (serve) deploys to`),
      );
    }
    issues.throwIfAny(`Invalid ${C} props:`);
    const aws = platform!;
    const region = aws.workspace.region;
    const account = aws.identity.accountId;
    const bucket = aws.artifactStore.bucketName;
    const key = aws.encryptionKey.keyArn;
    const workloadRole = aws.identity.roleArn;
    const vpc = aws.network.vpc;
    const tags = { 'mlops-release': props.name, 'mlops-pipeline': plan.pipeline };
    this.pipelineName = props.name;
    this.pipelineArn = arn('sagemaker', region, account, `pipeline/${props.name}`);

    // The steps run as the workload identity: it reads and writes the store and pulls the image (granted, merged).
    aws.artifactStore.grantReadWrite(aws.identity);
    aws.imageRegistry.grantPull(aws.identity);

    const input: AwsDefinitionInput = {
      loaded: props.plan,
      name: props.name,
      image: props.image.imageUriByDigest,
      bucket,
      inputs: props.inputs,
      registryPrefix: props.registryPrefix,
      runsPrefix: props.runsPrefix,
      roleArn: workloadRole,
      kmsKeyArn: key,
      volumeKey: !awsHasInstanceStorage(instanceType),
      instanceType,
      maxRuntimeSeconds: props.maxRuntimeMinutes * 60,
      vpc: vpc ? { subnetIds: vpc.subnetIds, securityGroupId: vpc.securityGroupId } : undefined,
      modelPackageGroup: aws.modelRegistry.registryName,
      batch: props.batch ? { input: props.batch.input, output: props.batch.output ?? `${props.batch.input.replace(/\/+$/, '')}-predictions/` } : undefined,
      // The revision hashes what Terraform will see (resource references), not this synth's token numbers.
      resolve: (v) => Tokenization.resolve(v, { scope: this, resolver: new DefaultTokenResolver(new StringConcat()) }),
      // With a tracking server, every step records its run there, in the release's experiment. The server's `arn`
      // attribute makes the pipelines depend on the server; the workload role's grant on it is in the identity's policy.
      tracking: aws.workspace.trackingServerArn ? { serverArn: aws.workspace.trackingServerArn, experiment: props.name } : undefined,
    };
    let definition: Record<string, unknown>;
    try {
      const compiled = compilePipeline(input);
      definition = compiled.definition;
      this.revision = compiled.revision;
    } catch (e) {
      throw new MlopsValidationError(`Invalid pipeline for SageMaker Pipelines (aws):`, [
        { code: ErrorCode.CONFIG_INVALID, path: 'deployment.pipeline.file', message: (e as Error).message },
      ]);
    }
    this.definition = definition;

    // The registry prefix must hold an object: SageMaker fails a processing input whose S3 prefix is empty (the first run).
    const keep = new S3Object(this, 'RegistryKeep', {
      bucket,
      key: `${props.registryPrefix}registry/.mlops-keep`,
      content: 'The runtime registry of this pipeline (mlops pipeline step --root). Kept so the prefix is never empty.\n',
      kmsKeyId: key,
      serverSideEncryption: 'aws:kms',
      dependsOn: [...aws.artifactStore.objectWriteDependencies],
    });

    // The pipeline's own role: starts the processing jobs as the workload identity, registers the model, reads the decision file.
    const runsArn = `${aws.artifactStore.bucketArn}/${props.runsPrefix}*`;
    this.pipelineRole = this.role(
      'PipelineRole',
      `${props.name}${ROLES.pipeline.suffix}`,
      ROLES.pipeline.service,
      account,
      'Runs the SageMaker pipeline: its processing jobs, the model registration.',
      [
        { Effect: 'Allow', Action: [...SAGEMAKER_PROCESSING_ACTIONS], Resource: [arn('sagemaker', region, account, 'processing-job/*')] },
        {
          Effect: 'Allow',
          Action: [...SAGEMAKER_MODEL_PACKAGE_WRITE_ACTIONS, ...SAGEMAKER_MODEL_PACKAGE_READ_ACTIONS],
          Resource: [aws.modelRegistry.modelPackagesArn, aws.modelRegistry.registryId],
        },
        { Effect: 'Allow', Action: [...IAM_PASS_ROLE_ACTIONS], Resource: [workloadRole], Condition: { StringEquals: { 'iam:PassedToService': SAGEMAKER_SERVICE_PRINCIPAL } } },
        { Effect: 'Allow', Action: [...S3_OBJECT_READ_ACTIONS], Resource: [runsArn] },
        { Effect: 'Allow', Action: [...KMS_DECRYPT_ACTIONS], Resource: [key] },
      ],
    );
    // SageMaker Pipelines reads the gate's decision file as this role, from SageMaker's network: past the bucket's network guard.
    if (aws.artifactStore instanceof AwsArtifactStore) aws.artifactStore.exemptPrincipal(this.pipelineRole.arn);
    const roleReady = [this.pipelineRole, this.policies.get(this.pipelineRole)!];

    this.pipeline = new SagemakerPipeline(this, 'Resource', {
      pipelineName: props.name,
      pipelineDisplayName: props.name,
      pipelineDescription: (plan.description ?? `Pipeline ${plan.pipeline}`).slice(0, 3072),
      roleArn: this.pipelineRole.arn,
      pipelineDefinition: linearTokenText(stableJson(definition)),
      // The revision its model versions record (mlops:pipeline-revision).
      tags: { ...tags, [PIPELINE_REVISION_TAG]: this.revision },
      dependsOn: [...roleReady, keep, ...(props.dependsOn ?? []), ...(vpc?.ready ?? [])],
    });
    // The steps run as the workload identity: after its grants (the tracking server's among them).
    this.pipeline.node.addDependency(aws.identity);
    const pipelineArns = [this.pipeline.arn];

    // Every training run starts through the start gate: a run never overlaps another (they would both register and deploy).
    this.startMachine = this.startGate(props.name, account, tags);
    if (props.schedule) {
      this.schedule = this.scheduleOf('Schedule', `${props.name}-train`, props.schedule, account, `Runs pipeline ${props.name} through ${props.name}-start.`, {
        arn: this.startMachine.arn,
        actions: STATES_START_ACTIONS,
      });
    }

    if (props.batch?.schedule) {
      const batchName = `${props.name}-batch`;
      this.batchPipeline = new SagemakerPipeline(this, 'BatchPipeline', {
        pipelineName: batchName,
        pipelineDisplayName: batchName,
        pipelineDescription: `Batch scoring of s3://…/${props.batch.input} with the champion of pipeline ${plan.pipeline}.`,
        roleArn: this.pipelineRole.arn,
        pipelineDefinition: linearTokenText(stableJson(compileBatchDefinition(input, this.revision))),
        tags,
        dependsOn: [...roleReady, keep, ...(vpc?.ready ?? [])],
      });
      this.batchPipeline.node.addDependency(aws.identity);
      pipelineArns.push(this.batchPipeline.arn);
      // Batch runs only read the registry's champion: overlapping ones cannot register, so they start the pipeline directly.
      this.scheduleOf('BatchSchedule', `${props.name}-batch-schedule`, props.batch.schedule, account, `Runs batch pipeline ${batchName}.`, {
        arn: this.batchPipeline.arn,
        actions: SAGEMAKER_PIPELINE_START_ACTIONS,
        pipeline: true,
      });
    }

    // A failed start (e.g. SageMaker refused it) is a missed run: alerts watch the gate too.
    const stateMachineArns: string[] = [this.startMachine.arn];
    if (plan.deploy && endpoint) {
      this.deployMachine = this.deployAction(props.name, endpoint, aws, account, region, tags);
      stateMachineArns.push(this.deployMachine.arn);
    }
    this.watched = { pipelineArns, stateMachineArns };
    this.runCommand = `aws stepfunctions start-execution --region ${region} --state-machine-arn ${arn('states', region, account, `stateMachine:${props.name}-start`)}`;
  }

  private readonly policies = new Map<IamRole, IamRolePolicy>();

  /** A role trusted by one service of this account, with one inline policy. */
  private role(id: string, name: string, service: string, account: string, description: string, statements: object[]): IamRole {
    const role = new IamRole(this, id, {
      name,
      description,
      assumeRolePolicy: policyDocument([
        { Effect: 'Allow', Principal: { Service: service }, Action: STS_ASSUME_ROLE_ACTION, Condition: { StringEquals: { 'aws:SourceAccount': account } } },
      ]),
    });
    this.policies.set(role, new IamRolePolicy(this, `${id}Policy`, { name: 'pipeline', role: role.name, policy: policyDocument(statements) }));
    return role;
  }

  /**
   * The start gate `<name>-start` (see pipeline-start.ts), as a role that may
   * only list and start this pipeline's executions.
   */
  private startGate(name: string, account: string, tags: Record<string, string>): SfnStateMachine {
    const role = this.role('StartRole', `${name}${ROLES.start.suffix}`, ROLES.start.service, account, `Starts a run of pipeline ${name} unless one is executing.`, [
      { Effect: 'Allow', Action: [...SAGEMAKER_PIPELINE_LIST_ACTIONS, ...SAGEMAKER_PIPELINE_START_ACTIONS], Resource: [this.pipelineArn] },
    ]);
    return new SfnStateMachine(this, 'StartMachine', {
      name: `${name}-start`,
      roleArn: role.arn,
      definition: stableJson(startMachineDefinition({ pipelineName: name })),
      tags,
      dependsOn: [role, this.policies.get(role)!, this.pipeline],
    });
  }

  /** An EventBridge Scheduler schedule starting `target` (a pipeline, or the start gate), as a role that may only start it. */
  private scheduleOf(
    id: string,
    name: string,
    schedule: Schedule,
    account: string,
    description: string,
    target: { readonly arn: string; readonly actions: readonly string[]; readonly pipeline?: boolean },
  ): SchedulerSchedule {
    const role = this.role(`${id}Role`, `${name.replace(/-schedule$/, '')}${ROLES.scheduler.suffix}`, ROLES.scheduler.service, account, `${description} (EventBridge Scheduler)`, [
      { Effect: 'Allow', Action: [...target.actions], Resource: [target.arn] },
    ]);
    return new SchedulerSchedule(this, id, {
      name,
      description,
      scheduleExpression: toEventBridgeCron(schedule.cron),
      scheduleExpressionTimezone: schedule.timeZone ?? DEFAULT_TIME_ZONE,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: target.arn,
        roleArn: role.arn,
        // A retried start would be a second, overlapping run.
        retryPolicy: { maximumRetryAttempts: 0 },
        ...(target.pipeline ? { sagemakerPipelineParameters: { pipelineParameter: [] } } : { input: '{}' }),
      },
      dependsOn: [role, this.policies.get(role)!],
    });
  }

  /** The deploy action: EventBridge rule on approval → Step Functions state machine (see pipeline-deploy.ts). */
  private deployAction(name: string, endpoint: AwsScoringEndpoint, aws: AwsMlPlatform, account: string, region: string, tags: Record<string, string>): SfnStateMachine {
    const ep = endpoint.endpointName;
    const sm = (resource: string): string => arn('sagemaker', region, account, resource);
    const vpc = aws.network.vpc;
    const kms = awsHasInstanceStorage(endpoint.instanceType) ? undefined : aws.encryptionKey.keyArn;
    const machineName = `${name}-deploy`;
    const machineArn = arn('states', region, account, `stateMachine:${machineName}`);
    const role = this.role('DeployRole', `${name}${ROLES.deploy.suffix}`, ROLES.deploy.service, account, `Deploys approved model packages of pipeline ${name} to endpoint ${ep}.`, [
      { Effect: 'Allow', Action: [...SAGEMAKER_MODEL_PACKAGE_READ_ACTIONS], Resource: [aws.modelRegistry.modelPackagesArn] },
      {
        Effect: 'Allow',
        Action: [...SAGEMAKER_DEPLOY_ACTIONS],
        Resource: [sm(`endpoint/${ep}`), sm(`endpoint-config/${ep}-p*`), sm(`model/${ep}-p*`)],
      },
      {
        Effect: 'Allow',
        Action: [...IAM_PASS_ROLE_ACTIONS],
        Resource: [aws.identity.roleArn],
        Condition: { StringEquals: { 'iam:PassedToService': SAGEMAKER_SERVICE_PRINCIPAL } },
      },
      ...(kms ? [{ Effect: 'Allow', Action: ['kms:CreateGrant', 'kms:DescribeKey'], Resource: [kms], Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }] : []),
    ]);
    const machine = new SfnStateMachine(this, 'DeployMachine', {
      name: machineName,
      roleArn: role.arn,
      definition: stableJson(
        deployMachineDefinition({
          pipelineName: name,
          endpointName: ep,
          variantName: AWS_ENDPOINT_VARIANT,
          instanceType: endpoint.instanceType,
          instanceCount: endpoint.instanceCount,
          modelRoleArn: aws.identity.roleArn,
          kmsKeyArn: kms,
          vpc: vpc ? { subnetIds: vpc.subnetIds, securityGroupId: vpc.securityGroupId } : undefined,
          tags: { 'mlops-release': ep, 'mlops-pipeline': name },
          pollSeconds: 60,
        }),
      ),
      tags,
      dependsOn: [role, this.policies.get(role)!],
    });
    const rule = new CloudwatchEventRule(this, 'ApprovedRule', {
      name: `${name}-approved`,
      description: `A model package of group ${aws.modelRegistry.registryName} was approved: deploy it if pipeline ${name} registered it.`,
      eventPattern: JSON.stringify({
        source: ['aws.sagemaker'],
        'detail-type': [MODEL_PACKAGE_STATE_CHANGE],
        detail: { ModelPackageGroupName: [aws.modelRegistry.registryName], ModelApprovalStatus: ['Approved'] },
      }),
      tags,
    });
    const eventsRole = this.role('ApprovedRuleRole', `${name}${ROLES.approved.suffix}`, ROLES.approved.service, account, `Starts the deploy state machine of pipeline ${name}.`, [
      { Effect: 'Allow', Action: [...STATES_START_ACTIONS], Resource: [machineArn] },
    ]);
    new CloudwatchEventTarget(this, 'ApprovedTarget', { rule: rule.name, arn: machine.arn, roleArn: eventsRole.arn });
    // From the first deploy on, the pipeline owns which configuration the endpoint serves: Terraform must not roll it back.
    const resource = endpoint.endpoint;
    resource.lifecycle = { ...(resource.lifecycle ?? {}), ignoreChanges: ['endpoint_config_name'] };
    return machine;
  }
}

/** The AWS endpoint behind a neutral or AWS scoring endpoint. */
function awsEndpointOf(endpoint: ContinuousTrainingProps['endpoint']): AwsScoringEndpoint | undefined {
  if (endpoint instanceof AwsScoringEndpoint) return endpoint;
  const inner = (endpoint as { resource?: unknown } | undefined)?.resource;
  return inner instanceof AwsScoringEndpoint ? inner : undefined;
}
