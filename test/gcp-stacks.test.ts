import * as path from 'path';
import { Testing } from 'cdktf';
import { loadConfig } from '../lib/config';
import { MlPlatformStack } from '../lib/stack';

/** The shipped GCP stacks: dev (firewalled) and prod (private) synthesize, pass the policy pack, and mean their mode. */

const CONFIG_DIR = path.join(__dirname, '..', 'stacks', 'config');

function shipped(name: string): { json: Record<string, any>; stack: MlPlatformStack } {
  const stack = new MlPlatformStack(Testing.app(), name, { config: loadConfig(path.join(CONFIG_DIR, `${name}.yaml`)) });
  const json = JSON.parse(Testing.synth(stack));
  return { json, stack };
}

const only = (json: Record<string, any>, type: string): Record<string, any> => {
  const all = Object.values(json.resource?.[type] ?? {}) as Record<string, any>[];
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]!;
};

describe('prod-gcp (private network mode)', () => {
  let json: Record<string, any>;
  let stack: MlPlatformStack;
  beforeAll(() => {
    ({ json, stack } = shipped('prod-gcp'));
  });

  test('GIVEN prod-gcp.yaml WHEN synthesized THEN the policy pack passes with the deploy-readiness rules applied', () => {
    const report = stack.policy.check();
    expect(report.violations).toEqual([]);
    expect(report.rulesApplied).toEqual(
      expect.arrayContaining(['MLOPS_DEPLOY_CYCLE', 'MLOPS_DEPLOY_GCP_LAZY_SERVICE_AGENT', 'MLOPS_DEPLOY_GCP_DEPLOYER_WRITE', 'MLOPS_DEPLOY_GCP_PRIVATE_WORKLOAD', 'CKV2_GCP_33']),
    );
  });

  test('GIVEN prod-gcp.yaml WHEN synthesized THEN it has the VPC, Private Google Access subnets, the jobs attachment, a PSC endpoint on a reserved internal address and the private endpoint_url', () => {
    expect(only(json, 'google_compute_network').name).toBe('contoso-mlops-prod-vpc');
    expect((Object.values(json.resource.google_compute_subnetwork) as any[]).every((s) => s.private_ip_google_access === true)).toBe(true);
    expect(only(json, 'google_compute_network_attachment').connection_preference).toBe('ACCEPT_AUTOMATIC');
    expect(only(json, 'google_vertex_ai_endpoint').private_service_connect_config).toEqual({ enable_private_service_connect: true, project_allowlist: ['contoso-mlops-prod'] });
    const [addressId] = Object.keys(json.resource.google_compute_address);
    expect(json.output.endpoint_url.value).toMatch(new RegExp(`^https://\\$\\{google_compute_address\\.${addressId}\\.address\\}/v1/`));
    const steps = Object.values(json.resource.terraform_data) as any[];
    expect(steps.find((s) => s.input.kind === 'training').input.gcp.networkAttachment).toMatch(/google_compute_network_attachment/);
    expect(steps.find((s) => s.input.kind === 'endpoint').input.gcp.psc.forwardingRule).toBe('contoso-mlops-prod-bike-demand-psc');
  });

  test('GIVEN prod-gcp.yaml WHEN synthesized THEN the named deployer and CI are the deployers, state is in GCS and both providers (google, google-beta) are configured', () => {
    expect(stack.platform.deployers).toHaveLength(2);
    expect(stack.platform.deployers![0]).toBe('group:ml-platform-admins@contoso.com');
    expect(json.terraform.backend.gcs).toEqual({ bucket: 'contoso-mlops-prod-tfstate', prefix: 'prod-gcp' });
    expect(Object.keys(json.provider).sort()).toEqual(['docker', 'google', 'google-beta']);
    expect(stack.platform.network!.networkId).toBeDefined();
  });
});

describe('dev-gcp (firewalled network mode)', () => {
  test('GIVEN dev-gcp.yaml WHEN synthesized THEN no VPC is made, the endpoint is the public IAM-authenticated one and the pack passes', () => {
    const { json, stack } = shipped('dev-gcp');
    expect(stack.policy.check().violations).toEqual([]);
    expect(json.resource.google_compute_network).toBeUndefined();
    expect(only(json, 'google_vertex_ai_endpoint').private_service_connect_config).toBeUndefined();
    expect(json.output.endpoint_url.value).toMatch(/^https:\/\/europe-west4-aiplatform\.googleapis\.com\/v1\//);
    expect(stack.platform.deployers![0]).toBe('user:platform-admin@contoso.com');
  });
});
