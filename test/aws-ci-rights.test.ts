/**
 * Issue 16 on AWS, the CI deployer's rights: the shipped AWS stacks (and
 * their pipeline variants: a batch schedule, private mode with a pipeline)
 * against `AWS_CI_TYPE_ACCESS`, both ways — every resource and data source
 * type a stack synthesizes is listed, with actions the CI role's policies
 * allow; every action they allow is one a listed type of that stack (or the
 * release step) needs. The continuous-training resources are checked on
 * their own ARNs, and each role they run as is passable by CI to its one
 * service only.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Testing } from 'cdktf';
import { AWS_PIPELINE_SERVICE_ROLES } from '../lib/aws/perms';
import { AWS_CI_TYPE_ACCESS, AWS_MANAGED_POLICY_MAX_CHARS, AWS_ROLE_MANAGED_POLICIES_MAX, CI_AWS_RELEASE_STEP_ACTIONS } from '../lib/ci/aws-perms';
import { loadConfig, parseConfig } from '../lib/config/load';
import { MlPlatformStack } from '../lib/stack';
import { blockTypes, ciRightsBothWays } from './util';

const ROOT = path.resolve(__dirname, '..');
const ACCOUNT = '123456789012';

type Json = Record<string, any>;
interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

function synth(config: ReturnType<typeof parseConfig>, id: string): Json {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    return JSON.parse(Testing.synth(new MlPlatformStack(new App(), id, { config }))) as Json;
  } finally {
    process.chdir(cwd);
  }
}

function raw(name: string): Json {
  const yaml = require('js-yaml') as typeof import('js-yaml');
  return yaml.load(fs.readFileSync(path.join(ROOT, 'stacks', 'config', `${name}.yaml`), 'utf8')) as Json;
}

const shipped = (name: string) => () => synth(loadConfig(path.join(ROOT, 'stacks', 'config', `${name}.yaml`)), name);

function withBatchSchedule(): Json {
  const config = raw('dev-aws');
  config.deployment.batch = { ...config.deployment.batch, schedule: { cron: '0 5 * * *' } };
  return synth(parseConfig(config), 'dev-aws-batch');
}

/** prod-aws (private mode) with dev-aws's pipeline, schedule and batch, as test/pipeline-private.test.ts builds it. */
function privateWithPipeline(): Json {
  const prod = raw('prod-aws');
  const dev = raw('dev-aws');
  prod.deployment = {
    ...prod.deployment,
    pipeline: dev.deployment.pipeline,
    schedule: dev.deployment.schedule,
    batch: { ...dev.deployment.batch, schedule: { cron: '0 5 * * *' } },
  };
  return synth(parseConfig(prod), 'prod-aws-pipeline');
}

/** The statements of the policies attached to the CI role. */
function ciStatements(json: Json): Statement[] {
  return Object.entries<Json>(json.resource.aws_iam_policy)
    .filter(([id]) => id.startsWith('Ci_'))
    .flatMap(([, p]) => JSON.parse(p.policy).Statement as Statement[]);
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);
/** IAM's wildcard match (`*` any run of characters, `?` one). */
const matches = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/**
 * Whether the statements allow `action` on `resource` (an ARN) in a request whose only condition
 * key is `context` (e.g. `iam:PassedToService`): an Allow matches, no Deny matches. A statement
 * whose condition names another key does not match (the request does not carry it).
 */
function allows(statements: Statement[], action: string, resource: string, context: Record<string, string> = {}): boolean {
  const applies = (s: Statement): boolean => {
    if (!s.Action.some((a) => matches(a, action))) return false;
    if (!list(s.Resource).some((r) => matches(r, resource))) return false;
    for (const [op, keys] of Object.entries(s.Condition ?? {})) {
      for (const [key, want] of Object.entries(keys)) {
        const have = context[key];
        if (have === undefined) return false;
        if (op === 'StringEquals' && !list(want).includes(have)) return false;
        if (op !== 'StringEquals') return false;
      }
    }
    return true;
  };
  return statements.some((s) => s.Effect === 'Allow' && applies(s)) && !statements.some((s) => s.Effect === 'Deny' && applies(s));
}

const stacks: [string, () => Json][] = [
  ['dev-aws', shipped('dev-aws')],
  ['prod-aws', shipped('prod-aws')],
  ['dev-aws with a batch schedule', withBatchSchedule],
  ['prod-aws (private) with a pipeline', privateWithPipeline],
];

describe.each(stacks)('%s: the CI deployer', (_name, make) => {
  const json = make();
  const types = blockTypes(json);
  const statements = ciStatements(json);
  const allowed = new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));

  ciRightsBothWays({
    types,
    table: AWS_CI_TYPE_ACCESS,
    needs: (t) => AWS_CI_TYPE_ACCESS[t]?.actions ?? [],
    granted: allowed,
    releaseStep: CI_AWS_RELEASE_STEP_ACTIONS,
    grantedWording: "actions are allowed by the CI role's policies",
    grantWording: 'action the policies allow',
  });

  test('every policy fits the managed-policy size limit', () => {
    for (const [id, p] of Object.entries<Json>(json.resource.aws_iam_policy).filter(([i]) => i.startsWith('Ci_'))) {
      const size = String(p.policy)
        .replace(/\$\{[^}]+\}/g, 'x'.repeat(90))
        .replace(/\s/g, '').length;
      expect([id, size <= AWS_MANAGED_POLICY_MAX_CHARS]).toEqual([id, true]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
/** The continuous-training resources of a stack with their ARNs and the role each runs as. */
function continuousTraining(json: Json): { type: string; name: string; arn: string; role?: string; service?: string }[] {
  const region = json.provider.aws[0].region as string;
  const a = (service: string, resource: string): string => `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;
  const roleOf = (ref: string | undefined): string | undefined => {
    const id = /^\$\{aws_iam_role\.([^.]+)\.arn\}$/.exec(ref ?? '')?.[1];
    return id ? `arn:aws:iam::${ACCOUNT}:role/${json.resource.aws_iam_role[id].name}` : undefined;
  };
  const of = (type: string): Json[] => Object.values<Json>(json.resource[type] ?? {});
  const ruleName = (ref: string): string => {
    const id = /^\$\{aws_cloudwatch_event_rule\.([^.]+)\.name\}$/.exec(ref)![1]!;
    return json.resource.aws_cloudwatch_event_rule[id].name;
  };
  return [
    ...of('aws_sagemaker_pipeline').map((r) => ({
      type: 'aws_sagemaker_pipeline',
      name: r.pipeline_name,
      arn: a('sagemaker', `pipeline/${r.pipeline_name}`),
      role: roleOf(r.role_arn),
      service: 'sagemaker.amazonaws.com',
    })),
    ...of('aws_sfn_state_machine').map((r) => ({
      type: 'aws_sfn_state_machine',
      name: r.name,
      arn: a('states', `stateMachine:${r.name}`),
      role: roleOf(r.role_arn),
      service: 'states.amazonaws.com',
    })),
    ...of('aws_scheduler_schedule').map((r) => ({
      type: 'aws_scheduler_schedule',
      name: r.name,
      arn: a('scheduler', `schedule/${r.group_name ?? 'default'}/${r.name}`),
      role: roleOf(r.target.role_arn),
      service: 'scheduler.amazonaws.com',
    })),
    ...of('aws_cloudwatch_event_rule').map((r) => ({ type: 'aws_cloudwatch_event_rule', name: r.name, arn: a('events', `rule/${r.name}`) })),
    ...of('aws_cloudwatch_event_target').map((r) => ({
      type: 'aws_cloudwatch_event_target',
      name: ruleName(r.rule),
      arn: a('events', `rule/${ruleName(r.rule)}`),
      role: roleOf(r.role_arn),
      service: 'events.amazonaws.com',
    })),
  ];
}

describe.each([
  ['dev-aws', shipped('dev-aws')],
  ['dev-aws with a batch schedule', withBatchSchedule],
  ['prod-aws (private) with a pipeline', privateWithPipeline],
])('%s: continuous training on its own ARNs', (_name, make) => {
  const json = make();
  const statements = ciStatements(json);
  const resources = continuousTraining(json);
  const services = [...new Set(Object.values(AWS_PIPELINE_SERVICE_ROLES).map((r) => r.service)), 'ecs-tasks.amazonaws.com', 'lambda.amazonaws.com'];

  test('the stack has a pipeline, state machines, a schedule and the approval rule to check', () => {
    expect(new Set(resources.map((r) => r.type))).toEqual(
      new Set(['aws_sagemaker_pipeline', 'aws_sfn_state_machine', 'aws_scheduler_schedule', 'aws_cloudwatch_event_rule', 'aws_cloudwatch_event_target']),
    );
  });

  test("CI may do each type's non-IAM actions on each resource's ARN", () => {
    const missing = resources.flatMap((r) =>
      AWS_CI_TYPE_ACCESS[r.type]!.actions.filter((action) => !action.startsWith('iam:') && !action.endsWith('ValidateStateMachineDefinition'))
        .filter((action) => !allows(statements, action, r.arn))
        .map((action) => `${r.name}: ${action}`),
    );
    expect(missing).toEqual([]);
    // Validation is authorized on the unnamed machine (hashicorp/terraform-provider-aws#39472).
    const region = json.provider.aws[0].region;
    expect(allows(statements, 'states:ValidateStateMachineDefinition', `arn:aws:states:${region}:${ACCOUNT}:stateMachine:*`)).toBe(true);
  });

  test('CI may pass each role these resources run as to their service only, and read it, but never change it', () => {
    const withRole = resources.filter((r) => r.role);
    expect(withRole.length).toBeGreaterThan(0);
    for (const r of withRole) {
      for (const service of services) {
        expect([r.name, r.role, service, allows(statements, 'iam:PassRole', r.role!, { 'iam:PassedToService': service })]).toEqual([
          r.name,
          r.role,
          service,
          service === r.service,
        ]);
      }
      // Without the service condition in the request, nothing is passable.
      expect(allows(statements, 'iam:PassRole', r.role!)).toBe(false);
      for (const read of ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies']) expect(allows(statements, read, r.role!)).toBe(true);
      for (const write of ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy', 'iam:DeleteRole']) {
        expect([r.role, write, allows(statements, write, r.role!)]).toEqual([r.role, write, false]);
      }
    }
  });

  test('CI never starts a run, an execution or a deployment itself', () => {
    for (const r of resources) {
      for (const action of ['sagemaker:StartPipelineExecution', 'states:StartExecution', 'sagemaker:ListPipelineExecutions']) expect(allows(statements, action, r.arn)).toBe(false);
    }
  });

  test('the rights stop at the prefix: another stack’s pipeline, state machine, schedule and roles are out of reach', () => {
    const region = json.provider.aws[0].region;
    const other = 'contoso-other-dev-bike-demand';
    expect(allows(statements, 'sagemaker:UpdatePipeline', `arn:aws:sagemaker:${region}:${ACCOUNT}:pipeline/${other}`)).toBe(false);
    expect(allows(statements, 'states:UpdateStateMachine', `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${other}-deploy`)).toBe(false);
    expect(allows(statements, 'scheduler:UpdateSchedule', `arn:aws:scheduler:${region}:${ACCOUNT}:schedule/default/${other}-train`)).toBe(false);
    expect(allows(statements, 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/${other}-deploy`, { 'iam:PassedToService': 'states.amazonaws.com' })).toBe(false);
  });
});

describe('every option at once', () => {
  test("prod-aws (private, alerts, S3 state) with a pipeline: the role's seven policies fit IAM's default quota of attached managed policies", () => {
    const json = privateWithPipeline();
    const attached = Object.keys(json.resource.aws_iam_role_policy_attachment).filter((id) => id.startsWith('Ci_'));
    expect(attached.map((id) => id.replace(/^Ci_Attach-(ci-[a-z]+)_.*$/, '$1')).sort()).toEqual([
      'ci-alerts',
      'ci-deploy',
      'ci-iam',
      'ci-network',
      'ci-pipeline',
      'ci-release',
      'ci-state',
    ]);
    expect(attached.length).toBeLessThanOrEqual(AWS_ROLE_MANAGED_POLICIES_MAX);
  });
});

describe('without a pipeline (prod-aws as shipped)', () => {
  test('the CI role has no pipeline policy and no pipeline rights', () => {
    const json = shipped('prod-aws')();
    const actions = ciStatements(json).flatMap((s) => s.Action);
    expect(actions.filter((a) => /^(states|scheduler):|Pipeline/.test(a))).toEqual([]);
    expect(Object.values<Json>(json.resource.aws_iam_policy).map((p) => p.name)).not.toContain('contoso-mlops-prod-ci-pipeline');
  });
});
