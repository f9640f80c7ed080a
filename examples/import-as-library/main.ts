/**
 * A team's own stack that imports the platform from npm, the way any consumer
 * would: `import { … } from 'cdktf-mlops'` resolves through the package's
 * `exports` (here by self-reference; in your project, after `npm i cdktf-mlops`).
 *
 * It builds the AWS platform with a GPU training size, then gives a second,
 * team-owned identity (a batch-scoring job) read access to the artifacts, pull
 * access to the runtime image and read access to the model registry — through
 * the cloud-neutral grants, so the same lines work on Azure and GCP.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ComputeSize, IMlPlatform, IWorkloadIdentity, Naming } from 'cdktf-mlops';
import { AwsMlPlatform, AwsWorkloadIdentity } from 'cdktf-mlops/aws';

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
      training: { size: ComputeSize.gpu({ aws: 'ml.g5.xlarge' }), maxNodes: 2, lowPriority: true },
    });

    const batch = new AwsWorkloadIdentity(this, 'BatchScoring', { ...account, naming, resourceName: 'batch-scoring' });
    allowBatchScoring(platform, batch);

    new TerraformOutput(this, 'artifacts', { value: platform.artifactStore.url });
    new TerraformOutput(this, 'image', { value: platform.imageRegistry.imageUri });
    new TerraformOutput(this, 'batch_role', { value: batch.identityId });
  }
}

const app = new App();
new ChurnTeamStack(app, 'churn-team');
app.synth();
