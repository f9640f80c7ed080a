import * as fs from 'fs';
import * as path from 'path';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { SagemakerMlflowTrackingServer } from '@cdktf/provider-aws/lib/sagemaker-mlflow-tracking-server';
import { TerraformStack, Testing } from 'cdktf';
import { AwsMlPlatform } from '../lib/aws';
import { loadConfig } from '../lib/config';
import { applyPolicyPack, PolicyViolationError } from '../lib/policy';
import { dependencyGraphOf, dependsTransitively, describeCycle, findCycles } from '../lib/policy/graph';
import { duplicateNames } from '../lib/core/physical-names';
import { ensureUniquePhysicalNames } from '../lib/core/unique-names';
import { MlPlatformStack } from '../lib/stack';

const CONFIG_DIR = path.join(__dirname, '..', 'stacks', 'config');
const SHIPPED = fs
  .readdirSync(CONFIG_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

/** The Terraform JSON of a shipped config's stack. */
function shippedJson(name: string): Record<string, any> {
  const stack = new MlPlatformStack(Testing.app(), name, { config: loadConfig(path.join(CONFIG_DIR, `${name}.yaml`)) });
  return JSON.parse(Testing.synth(stack));
}

describe('dependency graph (as Terraform builds it)', () => {
  test('GIVEN a reference in one direction and depends_on in the other WHEN the graph is built THEN it has exactly that cycle', () => {
    const json = {
      resource: {
        aws_iam_role_policy: { p: { role: 'r', policy: '{"Resource":"${aws_sagemaker_mlflow_tracking_server.s.arn}"}' } },
        aws_sagemaker_mlflow_tracking_server: { s: { tracking_server_name: 'x', depends_on: ['aws_iam_role_policy.p'] } },
      },
    };
    const cycles = findCycles(dependencyGraphOf(json));
    expect(cycles.map(describeCycle)).toEqual(['aws_iam_role_policy.p --(policy)--> aws_sagemaker_mlflow_tracking_server.s --(depends_on)--> aws_iam_role_policy.p']);
  });

  test('GIVEN references inside nested blocks, count and replace_triggered_by WHEN the graph is built THEN each is an edge', () => {
    const json = {
      resource: {
        a_thing: { a: { count: '${length(b_thing.b.ids)}', nested: [{ deep: { x: '${c_thing.c.id}' } }], lifecycle: { replace_triggered_by: ['${d_thing.d}'] } } },
        b_thing: { b: {} },
        c_thing: { c: {} },
        d_thing: { d: {} },
      },
    };
    const graph = dependencyGraphOf(json);
    expect([...graph.dependsOn.get('a_thing.a')!.values()].map((e) => `${e.to} via ${e.via}`).sort()).toEqual([
      'b_thing.b via count',
      'c_thing.c via nested[0].deep.x',
      'd_thing.d via lifecycle.replace_triggered_by[0]',
    ]);
    expect(findCycles(graph)).toEqual([]);
  });

  test('GIVEN a provider configured from a data source WHEN a resource uses that provider THEN it depends on the data source through the provider', () => {
    const json = {
      provider: { docker: [{ registry_auth: [{ password: '${data.aws_ecr_authorization_token.t.password}' }] }] },
      data: { aws_ecr_authorization_token: { t: {} } },
      resource: { docker_registry_image: { i: { name: 'x' } } },
    };
    const graph = dependencyGraphOf(json);
    expect(dependsTransitively(graph, 'docker_registry_image.i', 'data.aws_ecr_authorization_token.t')).toBe(true);
    expect(graph.dependsOn.get('docker_registry_image.i')!.get('provider.docker')!.via).toBe('provider');
  });

  test('GIVEN a provider whose configuration refers to a resource that uses it WHEN checked THEN the cycle goes through the provider', () => {
    const json = {
      provider: { kubernetes: [{ host: '${aws_eks_cluster.c.endpoint}' }], aws: [{}] },
      resource: { aws_eks_cluster: { c: { provider: 'kubernetes' } } },
    };
    expect(findCycles(dependencyGraphOf(json)).map(describeCycle)).toEqual(['aws_eks_cluster.c --(provider)--> provider.kubernetes --(host)--> aws_eks_cluster.c']);
  });

  test('GIVEN a resource that depends on itself WHEN checked THEN it is a cycle of one', () => {
    const json = { resource: { a_thing: { a: { name: '${a_thing.a.id}' } } } };
    expect(findCycles(dependencyGraphOf(json)).map(describeCycle)).toEqual(['a_thing.a --(name)--> a_thing.a']);
  });

  test('GIVEN two independent cycles WHEN checked THEN both are reported, in a stable order', () => {
    const json = {
      resource: {
        z_thing: { z1: { depends_on: ['z_thing.z2'] }, z2: { v: '${z_thing.z1.id}' } },
        a_thing: { a1: { depends_on: ['${a_thing.a2}'] }, a2: { v: '${a_thing.a1.id}' } },
      },
    };
    expect(findCycles(dependencyGraphOf(json)).map((c) => c[0]!.from)).toEqual(['a_thing.a1', 'z_thing.z1']);
  });
});

describe('MLOPS_DEPLOY_CYCLE', () => {
  test('GIVEN a role policy naming a server that waits for the policy WHEN synthesized THEN the synth fails naming both blocks and the rule', () => {
    const stack = new TerraformStack(Testing.app(), 'cycle');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const role = new IamRole(stack, 'Role', { name: 'r', assumeRolePolicy: '{}' });
    const server = new SagemakerMlflowTrackingServer(stack, 'Server', { trackingServerName: 's', roleArn: role.arn, artifactStoreUri: 's3://b/mlflow' });
    const policy = new IamRolePolicy(stack, 'Policy', {
      role: role.name,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sagemaker-mlflow:*', Resource: server.arn }] }),
    });
    server.dependsOn = [policy.fqn];
    applyPolicyPack(stack, { log: () => undefined });
    let error: unknown;
    try {
      Testing.synth(stack, true);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyViolationError);
    const cycle = (error as PolicyViolationError).report.violations.filter((v) => v.ruleId === 'MLOPS_DEPLOY_CYCLE');
    expect(cycle).toHaveLength(1);
    expect(cycle[0]!.found).toMatch(/aws_iam_role_policy\.Policy.*--\(policy\)--> aws_sagemaker_mlflow_tracking_server\.Server.*--\(depends_on\)--> aws_iam_role_policy\.Policy/);
    expect((error as Error).message).toContain('Error: Cycle');
  });

  test('GIVEN the AWS platform with its MLflow tracking server WHEN synthesized THEN the workload role names the server by an ARN built from its name, and the graph is acyclic', () => {
    const stack = new TerraformStack(Testing.app(), 'aws');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    new AwsMlPlatform(stack, 'Platform', {
      naming: { company: 'contoso', project: 'mlops', environment: 'dev' },
      accountId: '123456789012',
      region: 'eu-west-1',
      trackingServer: true,
    });
    const json = JSON.parse(Testing.synth(stack));
    expect(findCycles(dependencyGraphOf(json)).map(describeCycle)).toEqual([]);
    const [policy] = Object.values(json.resource.aws_iam_role_policy) as any[];
    expect(policy.policy).toContain('arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/contoso-mlops-dev-mlflow');
    expect(policy.policy).not.toContain('aws_sagemaker_mlflow_tracking_server');
  });
});

describe('every shipped stack can be planned', () => {
  test.each(SHIPPED)('%s: the dependency graph Terraform builds has no cycle', (name) => {
    const graph = dependencyGraphOf(shippedJson(name));
    expect(graph.nodes.size).toBeGreaterThan(20);
    expect(findCycles(graph).map(describeCycle)).toEqual([]);
  });
});

describe('MLOPS_DUPLICATE_NAME: two resources with one physical name', () => {
  function awsStack(id = 'names'): TerraformStack {
    const stack = new TerraformStack(Testing.app(), id);
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    return stack;
  }

  function violations(stack: TerraformStack): { path: string; found: string }[] {
    const pack = applyPolicyPack(stack, { log: () => undefined });
    try {
      Testing.synth(stack, true);
    } catch {
      // the report says what failed
    }
    return pack
      .check()
      .violations.filter((v) => v.ruleId === 'MLOPS_DUPLICATE_NAME')
      .map((v) => ({ path: v.path, found: v.found }));
  }

  test('GIVEN two buckets with one name under different constructs WHEN synthesized THEN the second fails naming the first construct path', () => {
    const stack = awsStack();
    new S3Bucket(stack, 'TeamA', { bucket: 'contoso-shared-data' });
    new S3Bucket(stack, 'TeamB', { bucket: 'contoso-shared-data' });
    new S3Bucket(stack, 'Other', { bucket: 'contoso-other-data' });
    expect(violations(stack)).toEqual([
      { path: 'names/TeamB', found: 'bucket "contoso-shared-data" is also the physical name of names/TeamA [aws_s3_bucket.TeamA]: the second create fails at apply' },
    ]);
  });

  test('GIVEN two AWS platforms with the same naming in one stack WHEN synthesized THEN their bucket, role, key alias, registries and log group collide; a naming suffix separates them', () => {
    const naming = { company: 'contoso', project: 'mlops', environment: 'dev' };
    const same = awsStack();
    new AwsMlPlatform(same, 'A', { naming, accountId: '123456789012', region: 'eu-west-1' });
    new AwsMlPlatform(same, 'B', { naming, accountId: '123456789012', region: 'eu-west-1' });
    const found = violations(same);
    expect(found.length).toBeGreaterThanOrEqual(6);
    for (const v of found) expect(v.path).toMatch(/^names\/B\//);
    expect(found.map((v) => v.found)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^bucket "contoso-mlops-dev-artifacts" is also the physical name of names\/A\/ArtifactStore/)]),
    );

    const separate = awsStack();
    new AwsMlPlatform(separate, 'A', { naming, accountId: '123456789012', region: 'eu-west-1' });
    new AwsMlPlatform(separate, 'B', { naming: { ...naming, suffix: 'b' }, accountId: '123456789012', region: 'eu-west-1' });
    const left = violations(separate);
    // Only names the suffix does not reach (it is for globally unique names) may remain.
    expect(left.every((v) => !/artifacts|bucket/.test(v.found))).toBe(true);
  });

  test('GIVEN one name in two different parents WHEN synthesized THEN it is no collision, unless the name is unique across parents', () => {
    const duplicates = duplicateNames([
      { type: 'azurerm_monitor_diagnostic_setting', address: 'a.1', attrs: { name: 'to-log-analytics', target_resource_id: '${azurerm_machine_learning_workspace.w.id}' } },
      { type: 'azurerm_monitor_diagnostic_setting', address: 'a.2', attrs: { name: 'to-log-analytics', target_resource_id: '${azurerm_key_vault.v.id}' } },
      { type: 'azurerm_storage_account', address: 'b.1', attrs: { name: 'contosomlopsdevst', resource_group_name: 'rg-a' } },
      { type: 'azurerm_storage_account', address: 'b.2', attrs: { name: 'contosomlopsdevst', resource_group_name: 'rg-b' } },
      { type: 'google_kms_crypto_key', address: 'c.1', attrs: { name: 'key', key_ring: '${google_kms_key_ring.a.id}' } },
      { type: 'google_kms_crypto_key', address: 'c.2', attrs: { name: 'key', key_ring: '${google_kms_key_ring.b.id}' } },
      { type: 'google_storage_bucket', address: 'd.1', attrs: { name: '${var.name}' } },
      { type: 'google_storage_bucket', address: 'd.2', attrs: { name: '${var.name}' } },
    ]);
    expect(duplicates.map((d) => d.blocks.map((b) => b.address))).toEqual([['b.1', 'b.2']]);
  });

  test('GIVEN a stack without the policy pack WHEN a platform shares a name THEN its own check fails the synth naming both construct paths', () => {
    const stack = awsStack('bare');
    const first = new S3Bucket(stack, 'First', { bucket: 'contoso-dup' });
    new S3Bucket(stack, 'Second', { bucket: 'contoso-dup' });
    ensureUniquePhysicalNames(first);
    ensureUniquePhysicalNames(first);
    expect(() => Testing.synth(stack, true)).toThrow(/\[MLOPS_DUPLICATE_NAME\] bare\/Second: bucket "contoso-dup" is also the physical name of bare\/First/);
  });
});
