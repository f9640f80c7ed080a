import { SagemakerModelPackageGroup } from '@cdktf/provider-aws/lib/sagemaker-model-package-group';
import { Construct } from 'constructs';
import { IModelRegistry, IWorkloadIdentity, identityOf } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import {
  SAGEMAKER_MODEL_GROUP_READ_ACTIONS,
  SAGEMAKER_MODEL_LIST_ACTIONS,
  SAGEMAKER_MODEL_PACKAGE_READ_ACTIONS,
  SAGEMAKER_MODEL_PACKAGE_WRITE_ACTIONS,
} from './perms';
import { arn } from './private/arn';
import { awsName, awsTags, retainLifecycle } from './private/names';
import { checkAccountId, checkRegion } from './private/validate';
import { AwsWorkloadIdentity } from './workload-identity';

/** Props of {@link AwsModelRegistry}. */
export interface AwsModelRegistryProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The 12-digit account of the registry (for model-package ARNs in grants). */
  readonly accountId: string;
  /** The region of the registry (for model-package ARNs in grants). */
  readonly region: string;
  /**
   * Keep the model package group on `cdktf destroy` (`lifecycle.prevent_destroy`) (MLOPS_AWS_RETAIN_DATA).
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The SageMaker Model Registry: one model package group whose versions are the registered models. */
export class AwsModelRegistry extends Construct implements IModelRegistry {
  /** The cloud this registry belongs to. */
  public readonly cloud = 'aws' as const;
  /** Model package group name. */
  public readonly registryName: string;
  /** Model package group ARN. */
  public readonly registryId: string;
  /** ARN pattern of the group's model versions (`…:model-package/<group>/*`). */
  public readonly modelPackagesArn: string;

  constructor(scope: Construct, id: string, props: AwsModelRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkAccountId(issues, this.node.path, 'AwsModelRegistry', props.accountId);
    checkRegion(issues, this.node.path, 'AwsModelRegistry', props.region);
    issues.throwIfAny('Invalid AwsModelRegistry props:');

    const name = awsName(props.naming, 'modelPackageGroup');
    const group = new SagemakerModelPackageGroup(this, 'Resource', {
      modelPackageGroupName: name,
      modelPackageGroupDescription: 'Registered model versions of the ML platform.',
      tags: awsTags(props.naming, props.tags),
      lifecycle: retainLifecycle(props.retainData ?? true),
    });
    this.registryName = group.modelPackageGroupName;
    this.registryId = group.arn;
    // SageMaker lower-cases names in ARNs; platform names are lower-case already.
    this.modelPackagesArn = arn('sagemaker', props.region, props.accountId, `model-package/${name}/*`);
  }

  /** Read models and versions. */
  grantRead(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'ModelRegistry.grantRead');
    this.addRead(role);
  }

  /** Register new model versions (and read). */
  grantWrite(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'ModelRegistry.grantWrite');
    this.addRead(role);
    role.addToPolicy({ actions: [...SAGEMAKER_MODEL_PACKAGE_WRITE_ACTIONS], resources: [this.modelPackagesArn] });
  }

  private addRead(role: AwsWorkloadIdentity): void {
    role.addToPolicy({ actions: [...SAGEMAKER_MODEL_GROUP_READ_ACTIONS], resources: [this.registryId] });
    role.addToPolicy({ actions: [...SAGEMAKER_MODEL_PACKAGE_READ_ACTIONS], resources: [this.modelPackagesArn] });
    role.addToPolicy({ actions: [...SAGEMAKER_MODEL_LIST_ACTIONS], resources: ['*'] });
  }
}
