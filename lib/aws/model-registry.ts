import { SagemakerModelPackageGroup } from '@cdktf/provider-aws/lib/sagemaker-model-package-group';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IModelRegistry, IWorkloadIdentity } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { SAGEMAKER_MODEL_GROUP_READ_ACTIONS, SAGEMAKER_MODEL_LIST_ACTIONS, SAGEMAKER_MODEL_PACKAGE_READ_ACTIONS, SAGEMAKER_MODEL_PACKAGE_WRITE_ACTIONS } from './perms';
import { arn } from './arn';
import { awsGrantee } from './private/grants';
import { awsName, awsTags, checkPhysicalName, retainLifecycle } from './names';
import { checkAccountId } from './validate';
import { IAwsWorkloadIdentity } from './workload-identity';
import { PropChecks } from '../core/validate';

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
  /**
   * The model package group name, exactly (1-63 of letters, digits and
   * hyphens, starting and ending with a letter or digit), instead of the
   * naming helper's `<company>-<project>-<env>-models`.
   * @default - from the naming helper
   */
  readonly physicalName?: string;
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
    checkAccountId(new PropChecks(issues, 'AwsModelRegistry', this.node.path), props.accountId);
    new PropChecks(issues, 'AwsModelRegistry', this.node.path).region('aws', 'region', props.region);
    checkPhysicalName(new PropChecks(issues, 'AwsModelRegistry', this.node.path), 'physicalName', props.physicalName, 'modelPackageGroup');
    issues.throwIfAny('Invalid AwsModelRegistry props:');

    const name = props.physicalName ?? awsName(props.naming, 'modelPackageGroup');
    const group = new SagemakerModelPackageGroup(this, 'Resource', {
      modelPackageGroupName: name,
      modelPackageGroupDescription: 'Registered model versions of the ML platform.',
      tags: awsTags(props.naming, props.tags),
      lifecycle: retainLifecycle(props.retainData ?? true),
    });
    this.registryName = group.modelPackageGroupName;
    this.registryId = group.arn;
    // SageMaker lower-cases names in ARNs (an explicit physicalName may have capitals).
    const arnName = Token.isUnresolved(name) ? Fn.lower(name) : name.toLowerCase();
    this.modelPackagesArn = arn('sagemaker', props.region, props.accountId, `model-package/${arnName}/*`);
  }

  /** Read models and versions. */
  grantRead(identity: IWorkloadIdentity): void {
    const role = awsGrantee(this, identity, 'ModelRegistry.grantRead');
    this.addRead(role);
  }

  /** Register new model versions (and read). */
  grantWrite(identity: IWorkloadIdentity): void {
    const role = awsGrantee(this, identity, 'ModelRegistry.grantWrite');
    this.addRead(role);
    role.addToPolicy({ actions: [...SAGEMAKER_MODEL_PACKAGE_WRITE_ACTIONS], resources: [this.modelPackagesArn] });
  }

  private addRead(role: IAwsWorkloadIdentity): void {
    role.addToPolicy({ actions: [...SAGEMAKER_MODEL_GROUP_READ_ACTIONS], resources: [this.registryId] });
    role.addToPolicy({ actions: [...SAGEMAKER_MODEL_PACKAGE_READ_ACTIONS], resources: [this.modelPackagesArn] });
    role.addToPolicy({ actions: [...SAGEMAKER_MODEL_LIST_ACTIONS], resources: ['*'] });
  }
}
