/**
 * The deploy action of an AWS pipeline: a Step Functions state machine
 * (AWS SDK service integrations only, no code to ship) started by an
 * EventBridge rule when a model package of the platform's group becomes
 * Approved. It deploys the package only when the pipeline registered it
 * (customer metadata {@link PIPELINE_METADATA_KEY}), through the endpoint's
 * existing blue/green deployment configuration (`UpdateEndpoint` with
 * `RetainDeploymentConfig`, so the canary/linear/all-at-once traffic shifting,
 * bake time and alarm rollback Terraform configured apply unchanged).
 *
 *   DescribeModelPackage → ours and Approved? (else: succeed, nothing to do)
 *   → DescribeEndpoint → already serving this package? (succeed: idempotent)
 *   → endpoint InService? (else: fail — another deployment is in progress; the lock)
 *   → CreateModel (ModelPackageName) → CreateEndpointConfig (the endpoint's variant, size, key)
 *   → UpdateEndpoint (RetainDeploymentConfig) → poll DescribeEndpoint until not Updating
 *   → serving our config? succeed : fail (rolled back by the alarms).
 */
import { PIPELINE_METADATA_KEY } from './pipeline-definition';

/** What the state machine needs. */
export interface DeployMachineInput {
  readonly pipelineName: string;
  readonly endpointName: string;
  readonly variantName: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly modelRoleArn: string;
  /** The endpoint configuration key, unless the instance type has NVMe storage. */
  readonly kmsKeyArn?: string;
  readonly vpc?: { readonly subnetIds: readonly string[]; readonly securityGroupId: string };
  readonly tags: Readonly<Record<string, string>>;
  /** Seconds between DescribeEndpoint polls while the rollout runs. */
  readonly pollSeconds: number;
}

const SDK = (action: string): string => `arn:aws:states:::aws-sdk:sagemaker:${action}`;

/**
 * The tag on the model and endpoint configuration a deployment creates that
 * names the model package (version) it deployed; the configuration's name,
 * `<endpoint>-p<version>`, which the endpoint then serves, says the same.
 */
export const DEPLOYED_PACKAGE_TAG = 'mlops-model-package';

/** The state machine definition (Amazon States Language, JSONPath). */
export function deployMachineDefinition(d: DeployMachineInput): Record<string, unknown> {
  const tags = [...Object.entries(d.tags).map(([Key, Value]) => ({ Key, Value })), { Key: DEPLOYED_PACKAGE_TAG, 'Value.$': '$.package.ModelPackageArn' }];
  const vpc = d.vpc ? { VpcConfig: { SecurityGroupIds: [d.vpc.securityGroupId], Subnets: [...d.vpc.subnetIds] } } : {};
  // The endpoint's configuration and status, read before the update and while polling it.
  const describeEndpoint = (next: string) => ({
    Type: 'Task',
    Resource: SDK('describeEndpoint'),
    Parameters: { EndpointName: d.endpointName },
    ResultSelector: { 'config.$': '$.EndpointConfigName', 'status.$': '$.EndpointStatus' },
    ResultPath: '$.endpoint',
    Next: next,
  });
  return {
    Comment: `Deploys model packages that pipeline ${d.pipelineName} registered and approved to endpoint ${d.endpointName} (blue/green, the endpoint's own deployment configuration).`,
    StartAt: 'DescribePackage',
    States: {
      DescribePackage: {
        Type: 'Task',
        Resource: SDK('describeModelPackage'),
        Parameters: { 'ModelPackageName.$': '$.detail.ModelPackageArn' },
        // The whole answer: CustomerMetadataProperties may be absent, and a ResultSelector path that is absent fails the execution.
        ResultPath: '$.package',
        Next: 'HasMark',
      },
      // Two choices: a comparison on an absent path fails the execution, so presence is checked first.
      HasMark: {
        Type: 'Choice',
        Choices: [{ Variable: `$.package.CustomerMetadataProperties.${PIPELINE_METADATA_KEY}`, IsPresent: true, Next: 'IsOurs' }],
        Default: 'NotOurs',
      },
      IsOurs: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.package.ModelApprovalStatus', StringEquals: 'Approved' },
              { Variable: `$.package.CustomerMetadataProperties.${PIPELINE_METADATA_KEY}`, StringEquals: d.pipelineName },
            ],
            Next: 'Names',
          },
        ],
        Default: 'NotOurs',
      },
      NotOurs: { Type: 'Succeed', Comment: 'Not an approved model package of this pipeline: nothing to deploy.' },
      Names: {
        Type: 'Pass',
        Parameters: { 'name.$': `States.Format('${d.endpointName}-p{}', $.package.ModelPackageVersion)` },
        ResultPath: '$.deploy',
        Next: 'DescribeEndpoint',
      },
      DescribeEndpoint: describeEndpoint('AlreadyServing'),
      AlreadyServing: {
        Type: 'Choice',
        Choices: [{ Variable: '$.endpoint.config', StringEqualsPath: '$.deploy.name', Next: 'Deployed' }],
        Default: 'EndpointIdle',
      },
      EndpointIdle: {
        Type: 'Choice',
        Choices: [{ Variable: '$.endpoint.status', StringEquals: 'InService', Next: 'CreateModel' }],
        Default: 'EndpointBusy',
      },
      EndpointBusy: {
        Type: 'Fail',
        Error: 'EndpointBusy',
        Cause: `Endpoint ${d.endpointName} is not InService (another deployment is in progress, or it failed): this model package was registered but not deployed. Approve it again (UpdateModelPackage) once the endpoint is InService to deploy it.`,
      },
      CreateModel: {
        Type: 'Task',
        Resource: SDK('createModel'),
        Parameters: {
          'ModelName.$': '$.deploy.name',
          ExecutionRoleArn: d.modelRoleArn,
          PrimaryContainer: { 'ModelPackageName.$': '$.package.ModelPackageArn' },
          EnableNetworkIsolation: true,
          ...vpc,
          Tags: tags,
        },
        ResultPath: null,
        Next: 'CreateEndpointConfig',
      },
      CreateEndpointConfig: {
        Type: 'Task',
        Resource: SDK('createEndpointConfig'),
        Parameters: {
          'EndpointConfigName.$': '$.deploy.name',
          ...(d.kmsKeyArn ? { KmsKeyId: d.kmsKeyArn } : {}),
          ProductionVariants: [
            { VariantName: d.variantName, 'ModelName.$': '$.deploy.name', InstanceType: d.instanceType, InitialInstanceCount: d.instanceCount, InitialVariantWeight: 1 },
          ],
          Tags: tags,
        },
        ResultPath: null,
        Next: 'UpdateEndpoint',
      },
      UpdateEndpoint: {
        Type: 'Task',
        Resource: SDK('updateEndpoint'),
        Parameters: { EndpointName: d.endpointName, 'EndpointConfigName.$': '$.deploy.name', RetainDeploymentConfig: true },
        ResultPath: null,
        Next: 'Wait',
      },
      Wait: { Type: 'Wait', Seconds: d.pollSeconds, Next: 'Poll' },
      Poll: describeEndpoint('RolloutDone'),
      RolloutDone: {
        Type: 'Choice',
        Choices: [
          {
            Or: [
              { Variable: '$.endpoint.status', StringEquals: 'Updating' },
              { Variable: '$.endpoint.status', StringEquals: 'SystemUpdating' },
            ],
            Next: 'Wait',
          },
          { Variable: '$.endpoint.config', StringEqualsPath: '$.deploy.name', Next: 'Deployed' },
        ],
        Default: 'RolledBack',
      },
      RolledBack: {
        Type: 'Fail',
        Error: 'RolledBack',
        Cause: `The blue/green deployment to ${d.endpointName} did not finish on the new configuration (rolled back by its alarms, or failed): the endpoint serves the previous model.`,
      },
      Deployed: { Type: 'Succeed' },
    },
  };
}
