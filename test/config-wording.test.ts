/**
 * Issue 14, item 23 (stack side): messages that named a cloud, a backend or a
 * resource kind after "a" read "a aws", "a azurerm", "a S3 bucket": each now
 * takes the article it is read with.
 */
import { Testing, TerraformStack } from 'cdktf';
import * as path from 'path';
import { loadConfig } from '../lib/config';
import { AwsArtifactStore } from '../lib/aws/artifact-store';
import { MlopsValidationError } from '../lib/core/errors';
import { GcpImageRegistry } from '../lib/gcp/image-registry';
import { GcpMlPlatform } from '../lib/gcp/platform';
import { MlPlatformStack } from '../lib/stack';
import { synthStack } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };

function messageOf(build: (stack: TerraformStack) => void): string {
  try {
    synthStack(build);
  } catch (e) {
    if (e instanceof MlopsValidationError) return e.message;
    throw e;
  }
  throw new Error('expected a MlopsValidationError');
}

test('an AWS name limit reads "an S3 bucket name", not "a S3 bucket name"', () => {
  const message = messageOf((s) => new AwsArtifactStore(s, 'S', { naming: NAMING, customerManagedKey: false, physicalName: 'Team_Bucket' }));
  expect(message).toContain('must be an S3 bucket name of 3-63 characters');
  expect(message).not.toMatch(/\ba S3\b/);
});

test('a GCP name limit reads "an Artifact Registry repository name"', () => {
  const message = messageOf(
    (s) => new GcpImageRegistry(s, 'R', { naming: NAMING, projectId: 'contoso-mlops-dev', region: 'europe-west4', customerManagedKey: false, physicalName: 'Bad_Name' }),
  );
  expect(message).toContain('an Artifact Registry repository name of');
  expect(message).not.toMatch(/\ba Artifact\b/);
});

test('the CI warning about a local state backend reads "configure an azurerm backend" on Azure', () => {
  const config = loadConfig(path.join(__dirname, '..', 'stacks', 'config', 'dev-azure.yaml'));
  const stack = new MlPlatformStack(Testing.app(), 'dev-azure', { config });
  const notes = stack.node.findAll().flatMap((c) => c.node.metadata.map((m) => String(m.data)));
  const warning = notes.find((n) => n.includes('keeps its state in a local file'));
  expect(warning).toContain('Fix: configure an azurerm backend (backend: in the config)');
});

test('a GCP platform given another cloud\'s import says "an azure …", not "a azure …"', () => {
  const message = messageOf(
    (s) =>
      new GcpMlPlatform(s, 'Platform', {
        naming: NAMING,
        projectId: 'contoso-mlops-dev',
        region: 'europe-west4',
        deployers: ['user:ops@contoso.com'],
        existing: { artifactStore: { cloud: 'azure', storeName: 'x' } as never },
      }),
  );
  expect(message).toContain('Got "an azure Object"');
  expect(message).not.toMatch(/\ba azure\b/);
});
