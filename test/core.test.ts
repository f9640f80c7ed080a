import { CLOUDS } from '../lib/core/cloud';
import { MlopsValidationError } from '../lib/core/errors';
import { NAME_RULES, Naming, PLATFORM_NAMES } from '../lib/core/naming';
import { ComputeSize, SIZE_NAMES, SIZE_TABLE } from '../lib/core/sizes';
import { platformTags, tagsFor } from '../lib/core/tags';

const naming = new Naming({ company: 'Contoso', project: 'ML_Ops', environment: 'dev' });

describe('Naming', () => {
  test('builds <company>-<project>-<env>-<resource>, lowercased and sanitised', () => {
    expect(naming.prefix).toBe('contoso-ml-ops-dev');
    expect(naming.name('s3Bucket', 'artifacts')).toBe('contoso-ml-ops-dev-artifacts');
  });

  test('drops separators where the cloud allows only alphanumerics', () => {
    expect(naming.name('storageAccount', 'st')).toBe('contosomlopsdevst');
    expect(naming.name('containerRegistry', 'acr')).toBe('contosomlopsdevacr');
  });

  test('appends the suffix to make globally unique names distinct', () => {
    const n = new Naming({ company: 'contoso', project: 'mlops', environment: 'dev', suffix: 'x7k2' });
    expect(n.name('storageAccount', 'st')).toBe('contosomlopsdevstx7k2');
    expect(n.name('gcsBucket', 'artifacts')).toBe('contoso-mlops-dev-artifacts-x7k2');
  });

  test('is deterministic', () => {
    const again = new Naming({ company: 'Contoso', project: 'ML_Ops', environment: 'dev' });
    for (const kind of Object.keys(NAME_RULES) as (keyof typeof NAME_RULES)[]) {
      expect(again.tryName(kind, 'x')).toEqual(naming.tryName(kind, 'x'));
    }
  });

  test('throws, never truncates, when a name exceeds the limit', () => {
    const long = new Naming({ company: 'contoso-industries', project: 'forecasting', environment: 'prod' });
    expect(() => long.name('storageAccount', 'st')).toThrow(MlopsValidationError);
    expect(() => long.name('storageAccount', 'st')).toThrow(/limit is 24/);
  });

  test('rejects names that must start with a letter but do not', () => {
    const digits = new Naming({ company: '1abc', project: 'mlops', environment: 'dev' });
    expect(() => digits.name('keyVault', 'kv')).toThrow(/must start with a letter/);
  });

  test.each(CLOUDS)('the shipped names of the %s platform fit for a typical company', (cloud) => {
    expect(naming.check(cloud)).toEqual([]);
    for (const [kind] of PLATFORM_NAMES[cloud]) expect(NAME_RULES[kind].cloud).toBe(cloud);
  });
});

describe('ComputeSize', () => {
  test.each(CLOUDS)('every neutral size resolves to a machine on %s', (cloud) => {
    for (const size of SIZE_NAMES) {
      expect(ComputeSize.of(size).machineFor(cloud).instanceType).toBe(SIZE_TABLE[size][cloud].instanceType);
    }
  });

  test('an explicit per-cloud override wins on that cloud only', () => {
    const size = ComputeSize.gpu({ aws: 'ml.g5.xlarge' });
    expect(size.machineFor('aws').instanceType).toBe('ml.g5.xlarge');
    expect(size.machineFor('gcp')).toEqual({ instanceType: 'n1-standard-4', accelerator: { type: 'NVIDIA_TESLA_T4', count: 1 } });
  });

  test('SageMaker sizes are ml.* instance types', () => {
    for (const size of SIZE_NAMES) expect(SIZE_TABLE[size].aws.instanceType).toMatch(/^ml\./);
  });
});

describe('tags', () => {
  test('platform tags carry the naming parts and managed-by', () => {
    expect(platformTags({ company: 'contoso', project: 'mlops', environment: 'dev' }, { owner: 'team' })).toEqual({
      company: 'contoso',
      project: 'mlops',
      environment: 'dev',
      'managed-by': 'cdktf-mlops',
      owner: 'team',
    });
  });

  test('GCP labels are lowercased and limited to its character set', () => {
    expect(tagsFor('gcp', { 'Cost Center': 'ML/1234', '9lives': 'x' })).toEqual({ cost_center: 'ml_1234', k_9lives: 'x' });
    expect(tagsFor('aws', { 'Cost Center': 'ML/1234' })).toEqual({ 'Cost Center': 'ML/1234' });
  });
});
