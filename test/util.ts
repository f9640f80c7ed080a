import * as fs from 'fs';
import * as path from 'path';
import type { AwsDefinitionInput } from '../lib/deploy/aws/pipeline-definition';
import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { parseConfig } from '../lib/config';
import { MlopsValidationError, ValidationIssue } from '../lib/core/errors';

/** A synthesized stack as parsed Terraform JSON. */
export interface SynthJson {
  readonly resource?: Record<string, Record<string, Record<string, any>>>;
  readonly data?: Record<string, Record<string, Record<string, any>>>;
  readonly output?: Record<string, any>;
  readonly terraform?: Record<string, any>;
  readonly provider?: Record<string, any>;
}

/** Builds constructs in a fresh stack and returns the synthesized Terraform JSON. */
export function synthStack(build: (stack: TerraformStack) => void): SynthJson {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  build(stack);
  return JSON.parse(Testing.synth(stack)) as SynthJson;
}

/** All resources of one Terraform type, keyed by logical id. */
export function resourcesOf(json: SynthJson, type: string): Record<string, any>[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** The single resource of a type; fails the test if there is not exactly one. */
export function onlyResource(json: SynthJson, type: string): Record<string, any> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0]!;
}

/** A construct scope for tests that build without a stack-level helper. */
export type Scope = Construct;

/** A minimal valid config of each cloud (account ids and region filled in). */
export function validConfig(cloud: 'azure' | 'aws' | 'gcp' = 'aws'): Record<string, any> {
  const naming = { company: 'contoso', project: 'mlops', environment: 'dev' };
  switch (cloud) {
    case 'azure':
      return { naming, cloud, region: 'westeurope', azure: { subscriptionId: '11111111-2222-3333-4444-555555555555', tenantId: '11111111-2222-3333-4444-555555555555' } };
    case 'aws':
      return { naming, cloud, region: 'eu-west-1', aws: { accountId: '123456789012' } };
    case 'gcp':
      return { naming, cloud, region: 'europe-west4', gcp: { projectId: 'contoso-mlops-dev' } };
  }
}

/** Every problem `parseConfig` reports for `raw`; fails the test if it accepts it. */
export function configIssues(raw: unknown): ValidationIssue[] {
  try {
    parseConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(MlopsValidationError);
    return [...(err as MlopsValidationError).issues];
  }
  throw new Error('expected the config to be rejected');
}

/** The one problem `parseConfig` reports for `raw`. */
export function onlyConfigIssue(raw: unknown): ValidationIssue {
  const issues = configIssues(raw);
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

/** The image (by digest) the SageMaker compiler's unit tests use. */
export const AWS_TEST_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime@sha256:${'ab'.repeat(32)}`;

/** A `compileDefinition` input for unit tests of the SageMaker compiler: the given plan, placeholder names for the rest. */
export function awsDefinitionInput(loaded: unknown, over: Partial<AwsDefinitionInput> = {}): AwsDefinitionInput {
  return {
    loaded: loaded as AwsDefinitionInput['loaded'],
    name: 'n',
    image: AWS_TEST_IMAGE,
    bucket: 'b',
    inputs: {},
    registryPrefix: 'pipelines/p/',
    runsPrefix: 'pipelines/p/runs/',
    roleArn: 'r',
    kmsKeyArn: 'k',
    volumeKey: true,
    instanceType: 'ml.m5.large',
    maxRuntimeSeconds: 60,
    modelPackageGroup: 'g',
    ...over,
  };
}

/** The resource types of a synthesized stack, and its data-source types as `data.<type>`, sorted. */
export function blockTypes(json: { resource?: object; data?: object }): string[] {
  return [...Object.keys(json.resource ?? {}), ...Object.keys(json.data ?? {}).map((t) => `data.${t}`)].sort();
}

/** The MlopsValidationError `fn` throws (the test fails if it throws something else, or nothing). */
export function validationError(fn: () => unknown): MlopsValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MlopsValidationError);
    return err as MlopsValidationError;
  }
  throw new Error('expected a validation error');
}

/**
 * The CI deployer's rights checked both ways against a per-type access table
 * (`AWS_CI_TYPE_ACCESS` actions, `GCP_CI_TYPE_ACCESS` roles): every block type
 * of the stack has an entry, every right an entry lists is granted, and every
 * right granted is one a type (or the release step) needs.
 */
export function ciRightsBothWays(o: {
  readonly types: readonly string[];
  readonly table: Readonly<Record<string, unknown>>;
  readonly needs: (type: string) => readonly string[];
  readonly granted: ReadonlySet<string>;
  readonly releaseStep: readonly string[];
  /** Test names: what is granted ("actions are allowed by the CI role's policies"), and what it is ("action the policies allow"). */
  readonly grantedWording: string;
  readonly grantWording: string;
}): void {
  test('every type the stack synthesizes has an access entry (a new type without one fails here)', () => {
    expect(o.types.filter((t) => !(t in o.table))).toEqual([]);
  });

  test(`every type's ${o.grantedWording}`, () => {
    const missing = o.types.flatMap((t) =>
      o
        .needs(t)
        .filter((r) => !o.granted.has(r))
        .map((r) => `${t}: ${r}`),
    );
    expect(missing).toEqual([]);
  });

  test(`every ${o.grantWording} is one a type of this stack (or the release step) needs: nothing more`, () => {
    const needed = new Set<string>([...o.types.flatMap((t) => o.needs(t)), ...o.releaseStep]);
    expect([...o.granted].filter((r) => !needed.has(r)).sort()).toEqual([]);
  });
}

/** The published schema with the overlay (each entry: test/fixtures/sagemaker/SOURCE.md). */
export function sageMakerSchemaWithOverlay(): object {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sagemaker', 'sagemaker-pipeline-definition.schema.json'), 'utf8'));
  const d = schema.definitions;
  delete schema.$schema;
  delete schema.$id;
  d.JoinFunction = {
    type: 'object',
    properties: {
      'Std:Join': {
        type: 'object',
        properties: { On: { type: 'string' }, Values: { type: 'array', items: { $ref: '#/definitions/StringArgumentValue' } } },
        required: ['Values'],
        additionalProperties: false,
      },
    },
    required: ['Std:Join'],
    additionalProperties: false,
  };
  d.JsonGetFunction = {
    type: 'object',
    properties: {
      'Std:JsonGet': {
        type: 'object',
        properties: { PropertyFile: { $ref: '#/definitions/GetFunction' }, Path: { type: 'string' } },
        required: ['PropertyFile', 'Path'],
        additionalProperties: false,
      },
    },
    required: ['Std:JsonGet'],
    additionalProperties: false,
  };
  d.StringArgumentValue = { oneOf: [{ type: 'string' }, { $ref: '#/definitions/GetFunction' }, { $ref: '#/definitions/JoinFunction' }] };
  d.BinaryCondition.properties.LeftValue.anyOf.push({ $ref: '#/definitions/JsonGetFunction' });
  // A Condition inside a Condition's IfSteps (the gate's inside the drift Condition): the SDK serializes any Step there.
  d.ConditionStep.properties.Arguments.properties.IfSteps.items.oneOf.push({ $ref: '#/definitions/ConditionStep' });
  d.ProcessingStep.properties.PropertyFiles = {
    type: 'array',
    items: {
      type: 'object',
      properties: { PropertyFileName: { type: 'string' }, OutputName: { type: 'string' }, FilePath: { type: 'string' } },
      required: ['PropertyFileName', 'OutputName', 'FilePath'],
      additionalProperties: false,
    },
  };
  const reg = d.RegisterModelStep.properties.Arguments.properties;
  reg.ModelApprovalStatus = { enum: ['Approved', 'Rejected', 'PendingManualApproval'] };
  reg.CustomerMetadataProperties = {
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { $ref: '#/definitions/GetFunction' }, { $ref: '#/definitions/JsonGetFunction' }] },
  };
  const container = reg.InferenceSpecification.properties.Containers.items.properties;
  container.Environment = { type: 'object', additionalProperties: { $ref: '#/definitions/StringArgumentValue' } };
  container.ModelDataSource = {
    type: 'object',
    properties: {
      S3DataSource: {
        type: 'object',
        properties: { S3Uri: { $ref: '#/definitions/StringArgumentValue' }, S3DataType: { enum: ['S3Prefix', 'S3Object'] }, CompressionType: { enum: ['None', 'Gzip'] } },
        required: ['S3Uri', 'S3DataType', 'CompressionType'],
        additionalProperties: false,
      },
    },
    required: ['S3DataSource'],
    additionalProperties: false,
  };
  return schema;
}
