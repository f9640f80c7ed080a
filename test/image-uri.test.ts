/**
 * `deployment.image.uri`: a runtime image built by the consumer's own pipeline,
 * pinned by digest, deployed as is — no Docker build, no docker provider — and
 * the release steps run that image.
 */
import { App } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CONFIG_FIELDS, parseConfig } from '../lib/config';
import { Cloud } from '../lib/core/cloud';
import { MlPlatformStack } from '../lib/stack';
import { configIssues, onlyConfigIssue, validConfig } from './util';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const URI: Record<Cloud, string> = {
  aws: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev@${DIGEST}`,
  azure: `contosomlopsdevacr.azurecr.io/mlops-runtime:v7@${DIGEST}`,
  gcp: `europe-west4-docker.pkg.dev/contoso-mlops-dev/contoso-mlops-dev-images/runtime@${DIGEST}`,
};
const deployment = (image: Record<string, unknown>) => ({ model: 'bike-demand', training: { data: 'datasets/bike/hour.csv', hyperparameters: { target: 'cnt' } }, image });

describe('config: deployment.image.uri', () => {
  test('is documented in CONFIG_FIELDS with what is accepted and the fix', () => {
    const field = CONFIG_FIELDS.find((f) => f.path === 'deployment.image.uri')!;
    expect(field.accepted).toContain('@sha256:<64 hex>');
    expect(field.fix).toContain('docker buildx imagetools inspect');
  });

  test.each(['aws', 'azure', 'gcp'] as const)('accepts a digest-pinned image of the %s registry', (cloud) => {
    expect(parseConfig({ ...validConfig(cloud), deployment: deployment({ uri: URI[cloud] }) }).deployment!.image.uri).toBe(URI[cloud]);
  });

  test('fails for a tag without a digest, naming the field, the value and the fix', () => {
    const uri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev:latest';
    const issue = onlyConfigIssue({ ...validConfig('aws'), deployment: deployment({ uri }) });
    expect(issue.path).toBe('deployment.image.uri');
    expect(issue.message).toContain(JSON.stringify(uri));
    expect(issue.message).toContain('@sha256:<64 hex>');
    expect(issue.message).toContain('docker buildx imagetools inspect');
  });

  test('fails with a build platform too: the image is built or given, not both', () => {
    const issue = onlyConfigIssue({ ...validConfig('aws'), deployment: deployment({ uri: URI.aws, platform: 'linux/arm64' }) });
    expect(issue.path).toBe('deployment.image.platform');
    expect(issue.message).toContain('has no use with deployment.image.uri');
    expect(issue.message).toContain('Fix: remove deployment.image.platform');
  });

  test.each([
    ['aws', URI.gcp, 'Amazon ECR'],
    ['gcp', URI.aws, 'Artifact Registry'],
  ] as const)('fails on %s for an image in a registry its ML service does not pull from', (cloud, uri, accepted) => {
    const issues = configIssues({ ...validConfig(cloud), deployment: deployment({ uri }) });
    expect(issues.map((i) => i.path)).toEqual(['deployment.image.uri']);
    expect(issues[0]!.message).toContain(accepted);
    expect(issues[0]!.message).toContain("push the image to the platform's registry");
  });
});

describe.each(['aws', 'azure', 'gcp'] as const)('MlPlatformStack on %s with deployment.image.uri', (cloud) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.image-uri-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  function synth(image: Record<string, unknown>): any {
    const app = new App({ outdir });
    const stack = new MlPlatformStack(app, `dev-${cloud}`, { config: parseConfig({ ...validConfig(cloud), deployment: deployment(image) }) });
    return JSON.parse(JSON.stringify(stack.toTerraform()));
  }

  test('builds nothing: no docker provider, no docker_image, no build context asset', () => {
    const json = synth({ uri: URI[cloud] });
    expect(json.provider.docker).toBeUndefined();
    expect(json.resource.docker_image).toBeUndefined();
    expect(json.resource.docker_registry_image).toBeUndefined();
    expect(JSON.stringify(json)).not.toContain('BuildContext');
  });

  test('the release steps run the given image, re-run when its digest changes, and the stack outputs it', () => {
    const json = synth({ uri: URI[cloud] });
    const steps = Object.values(json.resource.terraform_data) as any[];
    // Training (and, on Azure and GCP, the endpoint rollout) run as release steps; SageMaker's model is a resource.
    expect(steps.length).toBe(cloud === 'aws' ? 1 : 2);
    if (cloud === 'aws')
      expect((Object.values(json.resource.aws_sagemaker_model) as any[]).map((m) => m.primary_container[0]?.image ?? m.primary_container.image)).toEqual([URI.aws]);
    for (const step of steps) {
      expect(JSON.stringify(step.input)).toContain(URI[cloud]);
      expect(step.triggers_replace.image_digest).toBe(DIGEST);
    }
    expect(json.output.runtime_image.value).toBe(URI[cloud]);
  });

  test('without uri the image is built (docker provider and build context), as before', () => {
    const json = synth({});
    expect(json.provider.docker).toHaveLength(1);
    expect(Object.keys(json.resource.docker_image)).toHaveLength(1);
  });
});
