import { parseConfig } from '../lib/config';
import { configIssues as issuesOf, onlyConfigIssue as only, validConfig as base } from './util';

const deployment = { model: 'bike-demand', training: { data: 'datasets/bike/hour.csv', hyperparameters: { target: 'cnt', max_iter: 200, early_stopping: true } } };

describe('config: deployment', () => {
  test('is optional: a platform-only config has none', () => {
    expect(parseConfig(base()).deployment).toBeUndefined();
  });

  test('fills defaults: amd64 image, one instance, 2 h limit, small endpoint 1-2 instances, canary 10% for 10 min, 5% / 1000 ms alarms', () => {
    const d = parseConfig({ ...base(), deployment })!.deployment!;
    expect(d.image).toEqual({ platform: 'linux/amd64' });
    expect(d.training).toEqual({ ...deployment.training, instanceCount: 1, maxRuntimeMinutes: 120 });
    expect(d.endpoint).toEqual({
      size: 'small',
      minInstances: 1,
      maxInstances: 2,
      rollout: { strategy: 'canary', canaryPercent: 10, stepPercent: 25, bakeMinutes: 10 },
      alarms: { errorRatePercent: 5, latencyP95Ms: 1000 },
    });
  });

  test('fails if the model name is not a lowercase name', () => {
    const issue = only({ ...base(), deployment: { ...deployment, model: 'Bike_Demand' } });
    expect(issue.path).toBe('deployment.model');
    expect(issue.message).toContain('"Bike_Demand"');
    expect(issue.message).toContain('lowercase letters, digits, hyphens');
  });

  test('fails if the training data path escapes the artifact store', () => {
    const issue = only({ ...base(), deployment: { ...deployment, training: { data: 'datasets/../../etc/passwd' } } });
    expect(issue.path).toBe('deployment.training.data');
    expect(issue.message).toContain('no ".."');
  });

  test('fails if the training data is an absolute path or URI', () => {
    expect(only({ ...base(), deployment: { ...deployment, training: { data: 's3://other/hour.csv' } } }).path).toBe('deployment.training.data');
    expect(only({ ...base(), deployment: { ...deployment, training: { data: '/data/hour.csv' } } }).path).toBe('deployment.training.data');
  });

  test('fails if a hyperparameter value is an object', () => {
    const issue = only({ ...base(), deployment: { ...deployment, training: { data: 'd.csv', hyperparameters: { params: { a: 1 } } } } });
    expect(issue.path).toBe('deployment.training.hyperparameters.params');
    expect(issue.message).toMatch(/string .*number or boolean/);
  });

  test('fails if maxInstances is below minInstances', () => {
    const issue = only({ ...base(), deployment: { ...deployment, endpoint: { minInstances: 3, maxInstances: 2 } } });
    expect(issue.path).toBe('deployment.endpoint.maxInstances');
    expect(issue.message).toContain('at least minInstances (3)');
  });

  test.each([
    ['strategy', 'blue-green'],
    ['canaryPercent', 75],
    ['bakeMinutes', -1],
  ])('fails if rollout.%s is %p', (field, value) => {
    const issue = only({ ...base(), deployment: { ...deployment, endpoint: { rollout: { [field]: value } } } });
    expect(issue.path).toBe(`deployment.endpoint.rollout.${field}`);
  });

  test('fails if an endpoint instance type for AWS lacks the ml. prefix', () => {
    const issue = only({ ...base(), deployment: { ...deployment, endpoint: { instanceType: { aws: 'm5.large' } } } });
    expect(issue.path).toBe('deployment.endpoint.instanceType.aws');
    expect(issue.message).toContain('prefix the EC2 type with "ml."');
  });

  test('fails on Azure if the release name cannot fit an online endpoint name, saying by how much', () => {
    const issue = only({ ...base('azure'), deployment: { ...deployment, model: 'hourly-bike-demand-forecast' } });
    expect(issue.path).toBe('deployment.model');
    expect(issue.message).toContain('"contoso-mlops-dev-hourly-bike-demand-forecast"');
    expect(issue.message).toContain('within 32 characters');
    expect(issue.message).toContain('by 13 character(s)');
  });

  test('the same model name fits on AWS and GCP', () => {
    for (const cloud of ['aws', 'gcp'] as const) {
      expect(parseConfig({ ...base(cloud), deployment: { ...deployment, model: 'hourly-bike-demand-forecast' } }).deployment!.model).toBe('hourly-bike-demand-forecast');
    }
  });
});

describe('config: ci', () => {
  test('defaults to the main branch, no environments, no pull requests', () => {
    expect(parseConfig({ ...base(), ci: { github: { repository: 'contoso/ml-platform' } }, deployers: ['arn:aws:iam::123456789012:role/Admin'] }).ci).toEqual({
      github: { repository: 'contoso/ml-platform', branches: ['main'], environments: [], pullRequests: false },
    });
  });

  test.each(['ml-platform', 'https://github.com/contoso/ml-platform', 'contoso/ml platform', '-contoso/x'])('fails if the repository is %p', (repository) => {
    const issue = only({ ...base(), deployers: ['arn:aws:iam::123456789012:role/Admin'], ci: { github: { repository } } });
    expect(issue.path).toBe('ci.github.repository');
    expect(issue.message).toContain('owner/name');
  });

  test('fails if a branch is a wildcard, naming its index', () => {
    const issue = only({ ...base(), deployers: ['arn:aws:iam::123456789012:role/Admin'], ci: { github: { repository: 'contoso/ml', branches: ['main', 'release/*'] } } });
    expect(issue.path).toBe('ci.github.branches.1');
    expect(issue.message).toContain('without wildcards');
  });

  test('fails on an unknown key with a suggestion', () => {
    const issue = only({ ...base(), deployers: ['arn:aws:iam::123456789012:role/Admin'], ci: { github: { repository: 'contoso/ml', branch: ['main'] } } });
    expect(issue.path).toMatch(/^ci\.github/);
    expect(issue.message).toContain('branches');
  });
});

describe('config: alerts', () => {
  test('needs a deployment to watch', () => {
    const issue = only({ ...base(), alerts: { email: ['ops@contoso.com'] } });
    expect(issue.path).toBe('alerts');
    expect(issue.message).toContain('add a deployment: section');
  });

  test('defaults: no receivers, 60 minutes without traffic', () => {
    expect(parseConfig({ ...base(), deployment, alerts: {} }).alerts).toEqual({ email: [], webhooks: [], noTrafficMinutes: 60 });
  });

  test('fails if a webhook is not https', () => {
    const issue = only({ ...base(), deployment, alerts: { webhooks: ['http://hooks.example.com/x'] } });
    expect(issue.path).toBe('alerts.webhooks.0');
    expect(issue.message).toContain('https://');
  });

  test('fails if an email address is malformed', () => {
    expect(only({ ...base(), deployment, alerts: { email: ['ops-at-contoso'] } }).path).toBe('alerts.email.0');
  });
});

// Every config path is documented: test/config-schema.test.ts walks the whole schema.

test('fails on GCP if noTrafficMinutes exceeds what an absence condition can wait', () => {
  const issue = only({ ...base('gcp'), deployment, alerts: { email: ['ops@contoso.com'], noTrafficMinutes: 1440 } });
  expect(issue.path).toBe('alerts.noTrafficMinutes');
  expect(issue.message).toContain('at most 1410 on GCP');
  expect(parseConfig({ ...base('aws'), deployment, alerts: { email: ['ops@contoso.com'], noTrafficMinutes: 1440 } }).alerts!.noTrafficMinutes).toBe(1440);
});

test('fails on AWS if the rollout bakes longer or steps smaller than SageMaker allows', () => {
  const issues = issuesOf({ ...base('aws'), deployment: { ...deployment, endpoint: { rollout: { strategy: 'linear', bakeMinutes: 90, stepPercent: 5 } } } });
  expect(issues.map((i) => i.path).sort()).toEqual(['deployment.endpoint.rollout.bakeMinutes', 'deployment.endpoint.rollout.stepPercent']);
  expect(parseConfig({ ...base('gcp'), deployment: { ...deployment, endpoint: { rollout: { bakeMinutes: 90, stepPercent: 5 } } } }).deployment!.endpoint.rollout.bakeMinutes).toBe(
    90,
  );
});

test('fails on GCP if the training job asks for more than one machine', () => {
  const issue = only({ ...base('gcp'), deployment: { ...deployment, training: { ...deployment.training, instanceCount: 2 } } });
  expect(issue.path).toBe('deployment.training.instanceCount');
  expect(issue.message).toContain('1 on GCP');
});
