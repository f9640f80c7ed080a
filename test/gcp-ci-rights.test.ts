/**
 * Issue 16 on GCP, the CI deployer's rights: the shipped GCP stacks (and a
 * pipeline with a batch schedule) against `GCP_CI_TYPE_ACCESS`, both ways —
 * every resource and data source type a stack synthesizes is listed, with
 * roles the CI service account holds there; every role it holds is one a
 * listed type of that stack (or the release step) needs.
 */
import * as path from 'path';
import { App, Testing } from 'cdktf';
import { GCP_CI_RELEASE_ROLES, GCP_CI_RESOURCE_ROLES, GCP_CI_TYPE_ACCESS } from '../lib/ci/gcp';
import { loadConfig, parseConfig } from '../lib/config/load';
import { MlPlatformStack } from '../lib/stack';
import { blockTypes, ciRightsBothWays } from './util';

const ROOT = path.resolve(__dirname, '..');

type Json = Record<string, any>;

function synth(config: ReturnType<typeof loadConfig>, id: string): Json {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    return JSON.parse(Testing.synth(new MlPlatformStack(new App(), id, { config }))) as Json;
  } finally {
    process.chdir(cwd);
  }
}

/** Every role the CI service account holds (project or resource level), with the resources it is held on. */
function ciRoles(json: Json): Map<string, string[]> {
  const ci = Object.keys(json.resource.google_service_account).find((id) => /^Ci_ServiceAccount/.test(id));
  if (!ci) throw new Error('no CI service account in the stack');
  const member = `\${google_service_account.${ci}.member}`;
  const held = new Map<string, string[]>();
  for (const [type, resources] of Object.entries<Record<string, Json>>(json.resource)) {
    if (!/_iam_member$/.test(type)) continue;
    for (const [id, r] of Object.entries(resources)) {
      if (r.member !== member) continue;
      held.set(r.role, [...(held.get(r.role) ?? []), `${type}.${id}`]);
    }
  }
  return held;
}

function shipped(name: string): Json {
  return synth(loadConfig(path.join(ROOT, 'stacks', 'config', `${name}.yaml`)), name);
}

function withBatchSchedule(): Json {
  const raw = loadConfigRaw('dev-gcp');
  raw.deployment.batch = { input: 'batch/bike/', schedule: { cron: '0 5 * * *' } };
  return synth(parseConfig(raw), 'dev-gcp-batch');
}

function loadConfigRaw(name: string): Json {
  const yaml = require('js-yaml') as typeof import('js-yaml');
  const fs = require('fs') as typeof import('fs');
  return yaml.load(fs.readFileSync(path.join(ROOT, 'stacks', 'config', `${name}.yaml`), 'utf8')) as Json;
}

const stacks: [string, () => Json][] = [
  ['dev-gcp', () => shipped('dev-gcp')],
  ['prod-gcp', () => shipped('prod-gcp')],
  ['dev-gcp with a batch schedule', withBatchSchedule],
];

describe.each(stacks)('%s: the CI deployer', (_name, make) => {
  const json = make();
  const types = blockTypes(json);
  const held = ciRoles(json);

  ciRightsBothWays({
    types,
    table: GCP_CI_TYPE_ACCESS,
    needs: (t) => GCP_CI_TYPE_ACCESS[t]?.roles ?? [],
    granted: new Set(held.keys()),
    releaseStep: GCP_CI_RELEASE_ROLES,
    grantedWording: 'roles are held by the CI service account',
    grantWording: 'role it holds',
  });
});

describe('the pipeline schedule', () => {
  const json = withBatchSchedule();
  const jobs = Object.values<Json>(json.resource.google_cloud_scheduler_job);
  const held = ciRoles(json);

  test('CI manages the scheduler jobs and acts as (and reads the IAM of) the one service account they run as, on that account only', () => {
    expect(jobs).toHaveLength(2);
    const accounts = [...new Set(jobs.map((j) => j.http_target.oauth_token.service_account_email as string))];
    expect(accounts).toHaveLength(1);
    const account = accounts[0]!.replace(/\.email\}$/, '');
    const onAccount = (role: string): Json[] =>
      Object.values<Json>(json.resource.google_service_account_iam_member).filter(
        (r) => r.role === role && held.get(role)?.length && (r.service_account_id as string).includes(account.replace(/^\$\{/, '')),
      );
    expect(onAccount(GCP_CI_RESOURCE_ROLES.schedulerServiceAccount)).toHaveLength(1);
    expect(onAccount(GCP_CI_RESOURCE_ROLES.serviceAccountIamRead)).toHaveLength(1);
    expect(held.get('roles/cloudscheduler.admin')).toHaveLength(1);
    // Read-only on custom roles and on who may act as a service account: no admin role over either.
    for (const r of ['roles/iam.roleAdmin', 'roles/iam.serviceAccountAdmin', 'roles/iam.securityAdmin']) expect(held.has(r)).toBe(false);
  });
});
