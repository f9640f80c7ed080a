/**
 * A team's own cdktf app that uses cdktf-mlops as a library, the way any
 * consumer would: `import { … } from 'cdktf-mlops'` and `'cdktf-mlops/aws'`
 * resolve through the package's `exports` (here by self-reference; in your
 * project, after `npm i cdktf-mlops` and its peer dependencies).
 *
 * Two stacks:
 * - `churn-team`: the team's own stack. It builds the AWS platform on the
 *   landing zone's KMS key (bring your own: `AwsEncryptionKey.fromKeyArn`),
 *   with a GPU training size, then grants a team-owned batch-scoring identity
 *   that Lambda assumes, and the team's existing role (imported by ARN), what
 *   batch scoring needs — through the cloud-neutral grants, so the same lines
 *   work on Azure and GCP.
 * - `churn-platform`: the whole deployable stack from a config written in
 *   TypeScript (`defineConfig`): checked by the compiler, validated with the
 *   YAML config's rules and messages.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ComputeSize, defineConfig, IMlPlatform, IWorkloadIdentity, MlPlatformStack, Naming } from 'cdktf-mlops';
import { AwsEncryptionKey, AwsMlPlatform, AwsWorkloadIdentity } from 'cdktf-mlops/aws';

const naming = new Naming({ company: 'fabrikam', project: 'churn', environment: 'prod' });
const account = { accountId: '210987654321', region: 'eu-central-1' };

/** Grants a consumer identity what batch scoring needs, on any cloud. */
function allowBatchScoring(platform: IMlPlatform, identity: IWorkloadIdentity): void {
  platform.artifactStore.grantRead(identity);
  platform.imageRegistry.grantPull(identity);
  platform.modelRegistry.grantRead(identity);
}

class ChurnTeamStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: account.region, allowedAccountIds: [account.accountId] });

    const platform = new AwsMlPlatform(this, 'Platform', {
      ...account,
      naming,
      tags: { team: 'churn' },
      deployers: [`arn:aws:iam::${account.accountId}:role/churn-platform-admin`],
      training: { size: ComputeSize.gpu({ aws: 'ml.g5.xlarge' }), maxNodes: 2, lowPriority: true },
      // The landing zone's key: the platform encrypts with it and never writes its key policy.
      existing: {
        encryptionKey: AwsEncryptionKey.fromKeyArn(this, 'LandingZoneKey', `arn:aws:kms:${account.region}:${account.accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab`),
      },
    });

    // A batch-scoring Lambda of the team's, and the team's existing analytics role.
    const batch = new AwsWorkloadIdentity(this, 'BatchScoring', { ...account, naming, resourceName: 'batch-scoring', assumedBy: ['lambda.amazonaws.com'] });
    allowBatchScoring(platform, batch);
    const analytics = AwsWorkloadIdentity.fromRoleArn(this, 'Analytics', `arn:aws:iam::${account.accountId}:role/churn-analytics`);
    platform.modelRegistry.grantRead(analytics);

    new TerraformOutput(this, 'artifacts', { value: platform.artifactStore.url });
    new TerraformOutput(this, 'image', { value: platform.imageRegistry.imageUri });
    new TerraformOutput(this, 'batch_role', { value: batch.identityId });
  }
}

const app = new App();
new ChurnTeamStack(app, 'churn-team');
new MlPlatformStack(app, 'churn-platform', {
  config: defineConfig({
    cloud: 'aws',
    naming: { company: 'fabrikam', project: 'churn', environment: 'prod', suffix: 'p2' },
    region: account.region,
    aws: { accountId: account.accountId },
    network: { mode: 'private' },
    compute: { training: { size: 'medium', maxNodes: 2 } },
  }),
});
app.synth();
