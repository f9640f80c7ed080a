/**
 * Issue 16, tracking in the cloud on AWS: with the platform's SageMaker
 * MLflow tracking server on, every step of the SageMaker pipelines records
 * its run there. What the synthesized stack says about it: the environment
 * each step gets (names the runtime reads, values within SageMaker's limits),
 * network isolation lifted for those steps only, the MLflow API's interface
 * endpoint in private mode, the workload role's rights on the server (the
 * calls the runtime makes, nothing more), Terraform's order, and the policy
 * rule that holds it together. No shipped config turns the server on (it is
 * billed per hour); these stacks are built here.
 */
import * as path from 'path';
import Ajv from 'ajv';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { AwsMlPlatform, AwsNetwork } from '../lib/aws';
import { AWS_STEP_TRACKING_ENV, SAGEMAKER_MLFLOW_STEP_ACTIONS, SAGEMAKER_MLFLOW_STEP_CALLS, sageMakerMlflowEndpointService } from '../lib/aws/perms';
import { parseConfig } from '../lib/config/load';
import { AwsContinuousTraining, PIPELINE_REVISION_TAG } from '../lib/deploy/aws/pipeline';
import { PROCESSING_ENVIRONMENT_LIMITS } from '../lib/deploy/aws/pipeline-definition';
import { createDeployment } from '../lib/deploy/from-config';
import { applyPolicyPack, PolicyViolationError } from '../lib/policy';
import { dependencyGraphOf, dependsTransitively } from '../lib/policy/graph';
import { platformPropsFromConfig } from '../lib/platform';
import { MLFLOW_API, MLFLOW_CALLS, MLFLOW_STEP_ENV, mlflowTargetFromEnv } from '../training-image/src/tracking/mlflow-rest';
import { stepLineageTags } from '../training-image/src/pipeline/lineage';
import { resourcesOf, sageMakerSchemaWithOverlay } from './util';

const ROOT = path.resolve(__dirname, '..');
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime@sha256:${'ab'.repeat(32)}`;
const NAME = 'contoso-mlops-dev-bike-demand';
const SERVER_ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/contoso-mlops-dev-mlflow';
type Mode = 'public' | 'firewalled' | 'private';

/** A stack like a config's, with the platform's tracking server on (`trackingServer` is a construct prop, not a config key). */
function build(
  mode: Mode,
  o: {
    trackingServer?: boolean;
    beforeDeployment?: (platform: AwsMlPlatform) => void;
    patch?: (stack: TerraformStack, platform: AwsMlPlatform, pipeline: AwsContinuousTraining) => void;
  } = {},
) {
  const raw: any = {
    naming: { company: 'contoso', project: 'mlops', environment: 'dev' },
    cloud: 'aws',
    region: 'eu-west-1',
    aws: { accountId: '123456789012' },
    network: mode === 'firewalled' ? { mode, allowedIpRanges: ['203.0.113.0/24'] } : { mode },
    deployment: {
      model: 'bike-demand',
      image: { uri: IMAGE },
      training: { data: 'datasets/x.csv' },
      pipeline: { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike/hour.csv' }, params: { trials: 4 }, skip: ['score'] },
      schedule: { cron: '0 3 * * *' },
      batch: { input: 'batch/bike/', schedule: { cron: '30 6 * * *' } },
    },
  };
  const config = parseConfig(raw);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const stack = new TerraformStack(Testing.app(), `mlflow-${mode}`);
    new AwsProvider(stack, 'aws', { region: config.region, allowedAccountIds: ['123456789012'] });
    const platform = new AwsMlPlatform(stack, 'Platform', {
      ...platformPropsFromConfig(config),
      region: config.region,
      accountId: '123456789012',
      trackingServer: o.trackingServer ?? true,
    });
    o.beforeDeployment?.(platform);
    const deployment = createDeployment(stack, platform, config)!;
    const pipeline = deployment.pipeline!.resource as AwsContinuousTraining;
    o.patch?.(stack, platform, pipeline);
    applyPolicyPack(stack, { networkMode: config.network.mode, deployers: () => platform.deployers, allowDataDeletion: !config.protection.retainData });
    return { stack, pipeline, json: JSON.parse(Testing.synth(stack, true)) };
  } finally {
    process.chdir(cwd);
  }
}

/** The policy pack's violations of a stack (an empty list when synth passes). */
function violations(run: () => unknown): { ruleId: string; found: string }[] {
  try {
    run();
    return [];
  } catch (e) {
    if (e instanceof PolicyViolationError) return e.report.violations.map((v) => ({ ruleId: v.ruleId, found: v.found }));
    throw e;
  }
}

const flat = (steps: any[]): any[] => steps.flatMap((s) => (s.Type === 'Condition' ? [s, ...flat([...s.Arguments.IfSteps, ...s.Arguments.ElseSteps])] : [s]));
/** The Processing steps of each pipeline of a stack, by pipeline name. */
function processingSteps(json: any): Record<string, any[]> {
  return Object.fromEntries(
    resourcesOf(json, 'aws_sagemaker_pipeline').map((p) => [p.pipeline_name, flat(JSON.parse(p.pipeline_definition).Steps).filter((s) => s.Type === 'Processing')]),
  );
}
const addressOf = (json: any, type: string, pick: (r: any) => boolean = () => true): string => `${type}.${Object.entries<any>(json.resource[type]).find(([, r]) => pick(r))![0]}`;

describe('with the tracking server on, every SageMaker pipeline step records its run there', () => {
  const { json, pipeline } = build('firewalled');
  const steps = processingSteps(json);
  const serverRef = `\${${addressOf(json, 'aws_sagemaker_mlflow_tracking_server')}.arn}`;

  test('each step of both pipelines gets the tracking server, the experiment (the release name) and its lineage; steps reading a pipeline input get its S3 URI', () => {
    expect(Object.keys(steps).sort()).toEqual([NAME, `${NAME}-batch`]);
    const all = Object.values(steps).flat();
    expect(all.length).toBeGreaterThan(5);
    const E = AWS_STEP_TRACKING_ENV;
    for (const s of all) {
      const env = s.Arguments.Environment;
      expect(env).toMatchObject({
        MLOPS_KEEP_ROOT: '1',
        [E.trackingUri]: serverRef,
        [E.experiment]: NAME,
        [E.pipeline]: NAME,
        [E.executionArn]: { Get: 'Execution.PipelineExecutionArn' },
        [E.executionId]: { Get: 'Execution.PipelineExecutionId' },
        [E.revision]: pipeline.revision,
        [E.image]: IMAGE,
      });
      expect(Object.keys(env).length).toBeLessThanOrEqual(PROCESSING_ENVIRONMENT_LIMITS.maxEntries);
      for (const v of Object.values(env))
        if (typeof v === 'string') expect(v.replace(/\$\{[^}]*\}/g, 'b'.repeat(63)).length).toBeLessThanOrEqual(PROCESSING_ENVIRONMENT_LIMITS.maxValue);
    }
    // The revision the runs record is the one the pipeline is tagged with (and its model versions record).
    const training = resourcesOf(json, 'aws_sagemaker_pipeline').find((p) => p.pipeline_name === NAME)!;
    expect(training.tags[PIPELINE_REVISION_TAG]).toBe(pipeline.revision);
    const bucket = /^\$\{aws_s3_bucket\.[^}]+\.bucket\}$/;
    const uris = (s: any) => (s.Arguments.Environment[E.inputUris] ? JSON.parse(s.Arguments.Environment[E.inputUris]) : undefined);
    const validate = steps[NAME]!.find((s) => s.Name === 'validate')!;
    // The data from deployment.pipeline.inputs, the contract uploaded by the stack under pipelines/<pipeline>/inputs/.
    expect(Object.keys(uris(validate)).sort()).toEqual(['contract', 'data']);
    expect(uris(validate).contract).toMatch(/^s3:\/\/\$\{aws_s3_bucket\.[^}]+\.bucket\}\/pipelines\/demand-forecast\/inputs\/contract\//);
    expect(uris(validate).data.replace(/^s3:\/\/([^/]+)\//, (_: string, b: string) => (bucket.test(b) ? 's3://<bucket>/' : 'x'))).toBe('s3://<bucket>/datasets/bike/hour.csv');
    // A step reading only earlier steps' outputs has no pipeline-input URIs.
    expect(uris(steps[NAME]!.find((s) => s.Name === 'select')!)).toBeUndefined();
    expect(uris(steps[`${NAME}-batch`]![0]).data).toMatch(/^s3:\/\/\$\{aws_s3_bucket\.[^}]+\.bucket\}\/batch\/bike\/$/);
  });

  test('both definitions still pass the published SageMaker schema with the overlay (environment values: strings or Get)', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(sageMakerSchemaWithOverlay());
    for (const p of resourcesOf(json, 'aws_sagemaker_pipeline')) {
      const ok = validate(JSON.parse(p.pipeline_definition));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  test('the names are the ones the runtime reads, and the runtime takes the compiled environment as a SageMaker target with its lineage', () => {
    for (const [k, v] of Object.entries(AWS_STEP_TRACKING_ENV)) expect(MLFLOW_STEP_ENV[k as keyof typeof MLFLOW_STEP_ENV]).toBe(v);
    // The environment as SageMaker would hand it to the container: Terraform references and pipeline expressions resolved.
    const validate = steps[NAME]!.find((s) => s.Name === 'validate')!;
    const env = Object.fromEntries(
      Object.entries<any>(validate.Arguments.Environment).map(([k, v]) => [
        k,
        typeof v === 'string'
          ? v.replace(serverRef, SERVER_ARN).replace(/\$\{aws_s3_bucket\.[^}]+\.bucket\}/g, 'contoso-mlops-dev-artifacts')
          : v.Get === 'Execution.PipelineExecutionId'
            ? 'exec1'
            : `${'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/'}${NAME}/execution/exec1`,
      ]),
    );
    expect(mlflowTargetFromEnv(env)).toEqual({ kind: 'sagemaker', host: 'https://eu-west-1.experiments.sagemaker.aws', arn: SERVER_ARN, region: 'eu-west-1', experiment: NAME });
    expect(stepLineageTags(env, {}).map((t) => t.key)).toEqual([
      'mlops.pipeline',
      'mlops.execution',
      'mlops.pipeline.revision',
      'mlops.image',
      'mlops.input.data',
      'mlops.input.contract',
    ]);
  });

  test('network isolation is lifted for the steps (their MLflow calls leave the container), outside a VPC in firewalled mode', () => {
    for (const s of Object.values(steps).flat()) {
      expect(s.Arguments.NetworkConfig).toEqual({ EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: false });
    }
    expect(resourcesOf(json, 'aws_vpc_endpoint')).toEqual([]);
  });

  test('the workload role (the steps run as it) may make exactly the MLflow calls of the runtime, on this server only; no other principal gets an MLflow right', () => {
    // The runtime's calls and the library's grant list agree.
    expect(Object.keys(SAGEMAKER_MLFLOW_STEP_CALLS).sort()).toEqual(
      Object.values(MLFLOW_CALLS)
        .map((c) => `${c.method} ${MLFLOW_API}${c.path}`)
        .sort(),
    );
    expect([...SAGEMAKER_MLFLOW_STEP_ACTIONS].sort()).toEqual(
      Object.keys(MLFLOW_CALLS)
        .map((n) => `sagemaker-mlflow:${n}`)
        .sort(),
    );
    const statements = resourcesOf(json, 'aws_iam_role_policy').flatMap((p) => JSON.parse(p.policy).Statement.map((st: any) => ({ role: p.role, ...st })));
    const mlflow = statements.filter((st) => [st.Action].flat().some((a: string) => /mlflow/i.test(a)));
    expect(mlflow).toHaveLength(1);
    expect(mlflow[0].role).toMatch(/^\$\{aws_iam_role\.Platform_Identity_[A-Za-z0-9]+\.name\}$/);
    expect([mlflow[0].Action].flat().sort()).toEqual([...SAGEMAKER_MLFLOW_STEP_ACTIONS].sort());
    expect([mlflow[0].Resource].flat()).toEqual([SERVER_ARN]);
  });

  test('Terraform order: the server waits for the role’s grants, and both pipelines for the server and the grants', () => {
    const graph = dependencyGraphOf(json);
    const server = addressOf(json, 'aws_sagemaker_mlflow_tracking_server');
    const grants = addressOf(json, 'aws_iam_role_policy', (p) => p.policy.includes('sagemaker-mlflow:'));
    expect(dependsTransitively(graph, server, grants)).toBe(true);
    for (const name of [NAME, `${NAME}-batch`]) {
      const p = addressOf(json, 'aws_sagemaker_pipeline', (r) => r.pipeline_name === name);
      expect(dependsTransitively(graph, p, server)).toBe(true);
      expect(dependsTransitively(graph, p, grants)).toBe(true);
    }
  });
});

describe('without the tracking server (the default), nothing changes', () => {
  test('the steps keep network isolation and get no MLflow environment; the role gets no MLflow right', () => {
    const { json } = build('private', { trackingServer: false });
    for (const s of Object.values(processingSteps(json)).flat()) {
      expect(s.Arguments.NetworkConfig.EnableNetworkIsolation).toBe(true);
      expect(Object.keys(s.Arguments.Environment)).toEqual(['MLOPS_KEEP_ROOT']);
    }
    expect(JSON.stringify(json)).not.toContain('sagemaker-mlflow');
    expect(resourcesOf(json, 'aws_vpc_endpoint').map((e) => e.service_name)).not.toContain(sageMakerMlflowEndpointService('eu-west-1'));
  });
});

describe('private mode: the steps reach the tracking server through the MLflow API’s interface endpoint', () => {
  const { json } = build('private');

  test('the endpoint aws.sagemaker.<region>.experiments, private DNS, the workload security group, in the subnets of the zones the service is offered in', () => {
    const endpoints = resourcesOf(json, 'aws_vpc_endpoint').filter((e) => e.service_name === 'aws.sagemaker.eu-west-1.experiments');
    expect(endpoints).toHaveLength(1);
    const e = endpoints[0]!;
    expect(e).toMatchObject({ vpc_endpoint_type: 'Interface', private_dns_enabled: true, security_group_ids: [expect.stringMatching(/^\$\{aws_security_group\./)] });
    expect(e.subnet_ids).toMatch(
      /^\$\{matchkeys\(\[aws_subnet\.[^,]+\.id, aws_subnet\.[^,]+\.id\], \[aws_subnet\.[^,]+\.availability_zone, aws_subnet\.[^,]+\.availability_zone\], tolist\(data\.aws_vpc_endpoint_service\.[^.]+\.availability_zones\)\)\}$/,
    );
    const service = Object.values<any>(json.data.aws_vpc_endpoint_service);
    expect(service).toEqual([{ service_name: 'aws.sagemaker.eu-west-1.experiments', service_type: 'Interface' }]);
    // The security group lets the steps reach it: HTTPS within the VPC, both ways.
    const rules = [...resourcesOf(json, 'aws_vpc_security_group_ingress_rule'), ...resourcesOf(json, 'aws_vpc_security_group_egress_rule')];
    expect(rules.filter((r) => r.from_port === 443 && r.to_port === 443 && /aws_vpc\..*cidr_block/.test(r.cidr_ipv4))).toHaveLength(2);
  });

  test('the steps run in the VPC without isolation, and both pipelines wait for the endpoint; the policy pack passes', () => {
    const graph = dependencyGraphOf(json);
    const endpoint = addressOf(json, 'aws_vpc_endpoint', (e) => e.service_name.endsWith('.experiments'));
    for (const [name, list] of Object.entries(processingSteps(json))) {
      for (const s of list) {
        expect(s.Arguments.NetworkConfig.EnableNetworkIsolation).toBe(false);
        expect(s.Arguments.NetworkConfig.VpcConfig.Subnets.length).toBe(2);
      }
      expect(
        dependsTransitively(
          graph,
          addressOf(json, 'aws_sagemaker_pipeline', (r) => r.pipeline_name === name),
          endpoint,
        ),
      ).toBe(true);
    }
  });
});

describe('the policy rule MLOPS_AWS_PIPELINE_STEP_NETWORK', () => {
  const rule = (v: { ruleId: string; found: string }[]) => v.filter((x) => x.ruleId === 'MLOPS_AWS_PIPELINE_STEP_NETWORK');
  const rewrite = (pipeline: AwsContinuousTraining, edit: (definition: any) => void): void => {
    const definition = JSON.parse(JSON.stringify(pipeline.definition));
    edit(definition);
    pipeline.pipeline.addOverride('pipeline_definition', JSON.stringify(definition));
  };

  test('passes the stacks built above in every network mode', () => {
    for (const mode of ['public', 'firewalled', 'private'] as Mode[]) expect(violations(() => build(mode))).toEqual([]);
  });

  test('fails a step without isolation that records no run, and a step that records its run with isolation on', () => {
    const found = rule(
      violations(() =>
        build('public', {
          trackingServer: false,
          patch: (_s, _p, pipeline) =>
            rewrite(pipeline, (d) => {
              flat(d.Steps).find((s) => s.Name === 'validate').Arguments.NetworkConfig.EnableNetworkIsolation = false;
            }),
        }),
      ),
    );
    expect(found.map((f) => f.found)).toEqual([expect.stringContaining('step "validate" runs without network isolation')]);
    const blocked = rule(
      violations(() =>
        build('public', {
          patch: (_s, _p, pipeline) =>
            rewrite(pipeline, (d) => {
              flat(d.Steps).find((s) => s.Name === 'train-gbdt').Arguments.NetworkConfig.EnableNetworkIsolation = true;
            }),
        }),
      ),
    );
    expect(blocked.map((f) => f.found)).toEqual([expect.stringContaining('step "train-gbdt" records its run on the MLflow tracking server')]);
  });

  test('in private mode, fails steps that record runs when the stack has no MLflow API endpoint, or when the pipeline does not wait for it', () => {
    const missing = rule(
      violations(() =>
        build('private', {
          patch: (stack) => {
            // The endpoint made into another service's: the stack has none for the MLflow API.
            const endpoint = stack.node.findAll().find((c) => c.node.id === 'Endpoint-mlflow') as any;
            endpoint.addOverride('service_name', 'com.amazonaws.eu-west-1.sagemaker.api');
          },
        }),
      ),
    );
    // One finding per pipeline (the training and the batch pipeline).
    expect(missing.map((f) => f.found).sort()).toEqual([
      expect.stringContaining('steps batch run in the VPC'),
      expect.stringContaining('steps validate, split, drift, train-forest, train-gbdt, select, evaluate, gate, register, report, mlops-batch-scoring run in the VPC'),
    ]);
    for (const f of missing) expect(f.found).toContain('no interface endpoint of the SageMaker MLflow API (aws.sagemaker.<region>.experiments)');
    // The network's `ready` without the MLflow endpoint: the pipelines no longer wait for it.
    const early = rule(
      violations(() =>
        build('private', {
          beforeDeployment: (platform) => {
            const ready = platform.network.vpc!.ready as unknown[];
            ready.splice(ready.length - 1, 1);
          },
        }),
      ),
    );
    expect(early.map((f) => f.found)).toEqual([
      expect.stringContaining("does not depend on the MLflow API's interface endpoint"),
      expect.stringContaining("does not depend on the MLflow API's interface endpoint"),
    ]);
  });
});

describe('AwsNetwork.addMlflowEndpoint', () => {
  const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
  const synthNetwork = (existing?: { createEndpoints?: boolean }, calls = 1) => {
    const stack = new TerraformStack(Testing.app(), 'net');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const network = new AwsNetwork(stack, 'Network', {
      naming: NAMING,
      region: 'eu-west-1',
      existing: existing ? { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], ...existing } : undefined,
    });
    const ids = Array.from({ length: calls }, () => network.addMlflowEndpoint());
    return { network, ids, json: JSON.parse(Testing.synth(stack)) };
  };
  const mlflowEndpoints = (json: any) => resourcesOf(json, 'aws_vpc_endpoint').filter((e) => e.service_name === 'aws.sagemaker.eu-west-1.experiments');

  test('adds the endpoint once, and it joins the network’s ready list', () => {
    const { network, ids, json } = synthNetwork(undefined, 2);
    expect(mlflowEndpoints(json)).toHaveLength(1);
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBe(ids[0]);
    expect(network.mlflowEndpointId).toBe(ids[0]);
    expect(network.ready.length).toBe(new Set(network.ready).size);
  });

  test('in an existing VPC: in its given subnets; with createEndpoints false: none (the network owner provides it)', () => {
    const given = synthNetwork({});
    expect(mlflowEndpoints(given.json).map((e) => e.subnet_ids)).toEqual([['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1']]);
    const owned = synthNetwork({ createEndpoints: false });
    expect(owned.ids).toEqual([undefined]);
    expect(mlflowEndpoints(owned.json)).toEqual([]);
  });
});
