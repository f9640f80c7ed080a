/**
 * Issue 16 in `network.mode: private` (the prod configs): a pipeline added to
 * each prod config synthesizes, passes the policy pack (deploy-readiness and
 * private-mode workload rules included), and its steps run inside the
 * platform's network: SageMaker Processing steps in the VPC's subnets and
 * security group, the Vertex AI PipelineJob through the platform's network
 * attachment (PSC interface), the Azure ML nodes on the platform's compute
 * cluster (no public IPs, in the workspace's managed network).
 */
import * as path from 'path';
import { Testing } from 'cdktf';
import { loadConfig, parseConfig } from '../lib/config';
import { Cloud } from '../lib/core/cloud';
import { PolicyPack } from '../lib/policy';
import { MlPlatformStack } from '../lib/stack';

const ROOT = path.resolve(__dirname, '..');
const CONFIG_DIR = path.join(ROOT, 'stacks', 'config');

function privateWithPipeline(cloud: Cloud): { stack: MlPlatformStack; json: any } {
  const prod = JSON.parse(JSON.stringify(loadConfig(path.join(CONFIG_DIR, `prod-${cloud}.yaml`))));
  const dev = loadConfig(path.join(CONFIG_DIR, `dev-${cloud}.yaml`));
  expect(prod.network.mode).toBe('private');
  prod.deployment = { ...(prod.deployment ?? dev.deployment), pipeline: dev.deployment!.pipeline, schedule: dev.deployment!.schedule, batch: dev.deployment!.batch };
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const stack = new MlPlatformStack(Testing.app(), `private-pipeline-${cloud}`, { config: parseConfig(prod) });
    return { stack, json: JSON.parse(Testing.synth(stack, true)) };
  } finally {
    process.chdir(cwd);
  }
}

describe.each(['aws', 'azure', 'gcp'] as const)('%s, private mode, with a pipeline', (cloud) => {
  const { stack, json } = privateWithPipeline(cloud);

  test('passes the policy pack', () => {
    expect(PolicyPack.of(stack)!.report!.violations).toEqual([]);
  });

  test("the steps run inside the platform's network", () => {
    const text = JSON.stringify(json);
    if (cloud === 'aws') {
      const pipelines = Object.values<any>(json.resource.aws_sagemaker_pipeline);
      expect(pipelines.length).toBeGreaterThan(0);
      for (const p of pipelines) {
        const steps = JSON.parse(p.pipeline_definition)
          .Steps.flatMap((s: any) => [s, ...(s.Arguments?.IfSteps ?? [])])
          .filter((s: any) => s.Type === 'Processing');
        expect(steps.length).toBeGreaterThan(0);
        for (const s of steps) {
          expect(s.Arguments.NetworkConfig.EnableNetworkIsolation).toBe(true);
          expect(s.Arguments.NetworkConfig.VpcConfig.Subnets.length).toBeGreaterThan(0);
          expect(s.Arguments.NetworkConfig.VpcConfig.SecurityGroupIds).toEqual([expect.stringMatching(/^\$\{aws_security_group\./)]);
        }
      }
    } else if (cloud === 'gcp') {
      expect(text).toMatch(/pscInterfaceConfig[^}]*networkAttachment[^}]*google_compute_network_attachment\./);
    } else {
      const cluster = Object.keys(json.resource.azurerm_machine_learning_compute_cluster);
      expect(cluster).toHaveLength(1);
      expect(text).toContain(`"default_compute":"\${azurerm_machine_learning_compute_cluster.${cluster[0]}.id}"`);
      // The cluster has no public IPs and lives in the workspace's managed network, which allows only approved outbound.
      expect(Object.values<any>(json.resource.azurerm_machine_learning_compute_cluster)[0].node_public_ip_enabled).toBe(false);
      expect(Object.values<any>(json.resource.azurerm_machine_learning_workspace)[0].managed_network.isolation_mode).toBe('AllowOnlyApprovedOutbound');
    }
  });
});
