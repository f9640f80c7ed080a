import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, Aspects, IAspect, S3Backend, TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { TerraformData as DataResource } from '../lib/deploy/terraform-data';
import { Construct, IConstruct } from 'constructs';
import { MlopsValidationError } from '../lib/core/errors';
import {
  applyPolicyPack,
  MIN_SUPPRESSION_REASON_LENGTH,
  Policy,
  POLICY_RULES,
  PolicyPack,
  PolicyPackOptions,
  PolicyReport,
  policyRuleTable,
  PolicyViolationError,
  renderPolicyRuleTable,
  UNCHECKED_DEFAULT_RULE_IDS,
} from '../lib/policy';
import { expressionSpans, expressionsIn, parseJsonDocument, referencedAddresses } from '../lib/policy/values';
import { SECURITY_DEFAULTS } from '../lib/security-defaults';

const STACK = 'policy';

interface Built {
  readonly app: App;
  readonly stack: TerraformStack;
  readonly pack: PolicyPack;
  readonly lines: string[];
}

/** A stack with the AWS provider, built by `build`, with the pack applied (its output collected in `lines`). */
function build(make: (stack: TerraformStack) => void, options: PolicyPackOptions = {}, app: App = Testing.app()): Built {
  const stack = new TerraformStack(app, STACK);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  make(stack);
  const lines: string[] = [];
  const pack = applyPolicyPack(stack, { ...options, log: (l) => lines.push(l) });
  return { app, stack, pack, lines };
}

function check(make: (stack: TerraformStack) => void, options: PolicyPackOptions = {}): PolicyReport {
  const b = build(make, options);
  Testing.synth(b.stack);
  return b.pack.check();
}

/** Runs the synth validations (as `app.synth()` does) and returns the error thrown. */
function synthError(b: Built): unknown {
  try {
    Testing.synth(b.stack, true);
  } catch (err) {
    return err;
  }
  return undefined;
}

/** An ECR repository with every secure setting. */
function goodRepo(scope: Construct, id = 'Repo'): EcrRepository {
  return new EcrRepository(scope, id, {
    name: 'runtime',
    imageScanningConfiguration: { scanOnPush: true },
    imageTagMutability: 'IMMUTABLE',
    encryptionConfiguration: [{ encryptionType: 'KMS' }],
  });
}

const key = (s: Construct, rotation: boolean) =>
  new KmsKey(s, 'Key', {
    enableKeyRotation: rotation,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }] }),
  });

describe('failing the synth', () => {
  test('every violation of the stack is in one error naming the construct path, the rule id, what was found and the fix', () => {
    const b = build((s) => {
      goodRepo(s).addOverride('image_scanning_configuration.scan_on_push', false);
      key(s, false);
    });
    const err = synthError(b);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err).toBeInstanceOf(MlopsValidationError);
    const e = err as PolicyViolationError;
    expect(e.issues.map((i) => i.path)).toEqual(['policy/Key', 'policy/Repo']);
    expect(e.message).toContain('Policy check failed for stack policy: 2 violation(s)');
    expect(e.message).toContain("Policy.suppress(construct, '<rule id>', '<reason>')");
    expect(e.message).toContain(
      '[MLOPS_POLICY_VIOLATION] policy/Repo: CKV_AWS_163 (ECR image scan on push): image_scanning_configuration.scan_on_push is false [aws_ecr_repository.Repo]. Fix: Set image_scanning_configuration { scan_on_push = true }',
    );
    expect(e.message).toMatch(
      /policy\/Key: CKV_AWS_7 \(KMS key rotation enabled \(symmetric keys\)\): enable_key_rotation is false \[aws_kms_key\.Key\]\. Fix: Set enable_key_rotation = true/,
    );
    expect(e.report.violations).toHaveLength(2);
  });

  test('app.synth() fails before writing the stack, after printing the summary', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-policy-'));
    try {
      const b = build((s) => key(s, false), {}, new App({ outdir }));
      expect(() => b.app.synth()).toThrow(PolicyViolationError);
      expect(b.lines[0]).toBe(`Policy pack on policy: ${POLICY_RULES.length} rules on 1 resource: 1 violation(s), 0 suppressed, 0 unused suppression(s)`);
      expect(fs.existsSync(path.join(outdir, 'stacks', STACK, 'cdk.tf.json'))).toBe(false);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a clean stack synthesizes and prints its one-line summary once', () => {
    const b = build((s) => goodRepo(s));
    expect(synthError(b)).toBeUndefined();
    expect(synthError(b)).toBeUndefined();
    expect(b.lines).toEqual([`Policy pack on policy: ${POLICY_RULES.length} rules on 1 resource: 0 violation(s), 0 suppressed, 0 unused suppression(s)`]);
  });

  test('the rules count the relaxed ones out and list them', () => {
    const b = build(() => undefined, { networkMode: 'public', allowDataDeletion: true });
    expect(synthError(b)).toBeUndefined();
    expect(b.lines[0]).toBe(`Policy pack on policy: ${POLICY_RULES.length - 13} rules on 0 resources: 0 violation(s), 0 suppressed, 0 unused suppression(s)`);
    expect(b.lines[1]).toMatch(/^ {2}not applied \(network\.mode: public\): /);
    const publicRules = [
      'MLOPS_RELEASE_PUBLIC_ENDPOINT',
      'CKV_AZURE_144',
      'MLOPS_AZURE_ML_NO_PUBLIC_SSH',
      'CKV_AZURE_139',
      'CKV_AZURE_59',
      'CKV_AZURE_35',
      'CKV_AZURE_189',
      'CKV_AZURE_109',
      'MLOPS_AZURE_OPEN_INGRESS',
      'MLOPS_AWS_OPEN_INGRESS',
      'CKV2_GCP_33',
      'MLOPS_GCP_OPEN_INGRESS',
    ];
    expect(b.lines[1]!.replace(/^.*: /, '').split(', ').sort()).toEqual([...publicRules].sort());
    expect(b.lines[2]).toBe('  not applied (protection.retainData: false): CKV_GCP_82');
    expect(b.pack.rules).toHaveLength(POLICY_RULES.length - 13);
  });

  test('check() before the stack is synthesized says so', () => {
    const b = build((s) => goodRepo(s));
    expect(() => b.pack.check()).toThrow(/has not been synthesized yet.*Synthesize first/);
  });
});

describe('what the pack reads', () => {
  test('addOverride on a resource is seen, both ways', () => {
    const broken = check((s) => goodRepo(s).addOverride('image_tag_mutability', 'MUTABLE'));
    expect(broken.violations.map((v) => v.ruleId)).toEqual(['CKV_AWS_51']);
    const fixed = check((s) => {
      const repo = new EcrRepository(s, 'Repo', {
        name: 'runtime',
        imageTagMutability: 'MUTABLE',
        encryptionConfiguration: [{ encryptionType: 'KMS' }],
        imageScanningConfiguration: { scanOnPush: true },
      });
      repo.addOverride('image_tag_mutability', 'IMMUTABLE');
    });
    expect(fixed.violations).toEqual([]);
  });

  test('stack-level overrides are seen', () => {
    const report = check((s) => {
      goodRepo(s);
      s.addOverride('resource.aws_ecr_repository.Repo.image_tag_mutability', 'MUTABLE');
    });
    expect(report.violations.map((v) => `${v.ruleId} ${v.found}`)).toEqual(['CKV_AWS_51 image_tag_mutability is "MUTABLE"']);
  });

  test('changes made by an aspect added after the pack are seen', () => {
    class Unscanned implements IAspect {
      visit(node: IConstruct): void {
        if (node instanceof EcrRepository) node.addOverride('image_scanning_configuration.scan_on_push', false);
      }
    }
    const b = build((s) => goodRepo(s));
    Aspects.of(b.stack).add(new Unscanned());
    Testing.synth(b.stack);
    expect(b.pack.check().violations.map((v) => v.ruleId)).toEqual(['CKV_AWS_163']);
  });

  test('a flag set from another resource is an expression, not a literal: it cannot be verified and says so', () => {
    const report = check((s) => {
      const flag = new TerraformVariable(s, 'scan', { type: 'bool' });
      new EcrRepository(s, 'Repo', {
        name: 'runtime',
        imageScanningConfiguration: { scanOnPush: flag.booleanValue },
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: [{ encryptionType: 'KMS' }],
      });
    });
    expect(report.violations.map((v) => `${v.ruleId} ${v.found}`)).toEqual([
      'CKV_AWS_163 image_scanning_configuration.scan_on_push is the expression "${var.scan}", which is known only at apply time',
    ]);
  });

  test('Fn.jsonencode documents are parsed, expressions inside stay non-literal', () => {
    expect(
      parseJsonDocument('${jsonencode({"Statement" = [{"Effect" = "Allow", "Action" = ["s3:*"], "Resource" = aws_s3_bucket.b.arn, "N" = 1, "T" = true, "Z" = null}]})}'),
    ).toEqual({
      Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: '${aws_s3_bucket.b.arn}', N: 1, T: true, Z: null }],
    });
    expect(parseJsonDocument('{"a": 1}')).toEqual({ a: 1 });
    expect(parseJsonDocument('${file("p.json")}')).toBeUndefined();
    expect(parseJsonDocument('{not json')).toBeUndefined();
  });

  test('references are found inside expressions, with data sources and dashed names', () => {
    expect([...referencedAddresses('${aws_s3_bucket.Bucket_1.arn}/*')]).toEqual(['aws_s3_bucket.Bucket_1']);
    expect([...referencedAddresses({ a: ['${data.aws_iam_policy_document.Doc-2.json}'] })]).toEqual(['data.aws_iam_policy_document.Doc-2']);
    expect([...referencedAddresses('${timeadd(timestamp(), "8760h")}')]).toEqual([]);
    expect([...referencedAddresses('plain text aws_s3_bucket.x')]).toEqual([]);
  });

  test('expression spans: outermost, nested braces and quoted braces kept whole, an unclosed one to the end', () => {
    const v = 'a${x.y}b${f({"k" = "}"})}c${open';
    expect(expressionSpans(v)).toEqual([
      { start: 1, end: 7, closed: true },
      { start: 8, end: 25, closed: true },
      { start: 26, end: v.length, closed: false },
    ]);
    expect(expressionsIn(v)).toEqual(['x.y', 'f({"k" = "}"})', 'open']);
    expect(expressionSpans('no expressions')).toEqual([]);
  });
});

describe('no secrets in the synthesized output', () => {
  const SECRET = 'correct-horse-battery-staple';

  test.each([
    ['a secret version with a literal value', 'Secret', (s: TerraformStack) => new SecretsmanagerSecretVersion(s, 'Secret', { secretId: 's', secretString: SECRET })],
    ['an env var named *_PASSWORD', 'Step', (s: TerraformStack) => new DataResource(s, 'Step', { input: { env: { DB_PASSWORD: SECRET } } })],
    ['a provider client_secret', 'azurerm', (s: TerraformStack) => new AzurermProvider(s, 'azurerm', { features: [{}], clientId: 'app', clientSecret: SECRET })],
    ['a datastore shared access signature', 'Datastore', (s: TerraformStack) => new DataResource(s, 'Datastore', { input: { shared_access_signature: SECRET } })],
    ['an output named like a secret', 'admin_password', (s: TerraformStack) => new TerraformOutput(s, 'admin_password', { value: SECRET, staticId: true })],
  ])('MLOPS_SECRET_LITERAL catches %s, without revealing it', (_name, at, make) => {
    const b = build(make);
    const err = synthError(b) as PolicyViolationError;
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err.report.violations.filter((v) => v.ruleId === 'MLOPS_SECRET_LITERAL').map((v) => v.path)).toEqual([`${STACK}/${at}`]);
    expect(err.message).toContain(`holds a literal of ${SECRET.length} characters`);
    expect(err.message).not.toContain(SECRET);
  });

  test.each([
    [
      'a value from a sensitive variable',
      (s: TerraformStack) =>
        new SecretsmanagerSecretVersion(s, 'Secret', { secretId: 's', secretString: new TerraformVariable(s, 'db', { type: 'string', sensitive: true }).stringValue }),
    ],
    [
      'a Key Vault reference',
      (s: TerraformStack) => new DataResource(s, 'Step', { input: { env: { DB_PASSWORD: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)' } } }),
    ],
    ['names that only mention secrets', (s: TerraformStack) => new DataResource(s, 'Step', { input: { secret_name: 'db', key_vault_secret_id: 'x', password_enabled: 'true' } })],
    ['OIDC login without a secret', (s: TerraformStack) => new AzurermProvider(s, 'azurerm', { features: [{}], clientId: 'app', useOidc: true })],
  ])('MLOPS_SECRET_LITERAL accepts %s', (_name, make) => {
    expect(check(make).violations).toEqual([]);
  });

  test.each([
    [
      'an AWS access key id in the provider',
      'aws2',
      (s: TerraformStack) => new AwsProvider(s, 'aws2', { alias: 'second', region: 'eu-west-1', accessKey: 'AKIAIOSFODNN7EXAMPLE' }),
    ],
    [
      'an access key in the state backend',
      'backend',
      (s: TerraformStack) => new S3Backend(s, { bucket: 'state', key: 'k', region: 'eu-west-1', accessKey: 'AKIAIOSFODNN7EXAMPLE' }),
    ],
    [
      'a PEM private key',
      'Step',
      (s: TerraformStack) => new DataResource(s, 'Step', { input: { tls: '-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----' } }),
    ],
    [
      'a storage connection string',
      'Step',
      (s: TerraformStack) => new DataResource(s, 'Step', { input: { conn: 'DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=cGFzc3dvcmRwYXNzd29yZHBhc3N3b3Jk==' } }),
    ],
    [
      'a GitHub token next to an expression',
      'Step',
      (s: TerraformStack) => new DataResource(s, 'Step', { input: { url: `https://x:ghp_${'a'.repeat(36)}@github.com/\${var.repo}` } }),
    ],
    [
      'an access key id between two expressions in a long string',
      'Step',
      (s: TerraformStack) => new DataResource(s, 'Step', { input: { doc: `${'${var.a}{"x":"}"}'.repeat(200)}AKIAIOSFODNN7EXAMPLE\${var.b}${'{"y":1}'.repeat(200)}` } }),
    ],
  ])('MLOPS_SECRET_PATTERN catches %s', (_name, at, make) => {
    const report = check(make);
    expect(report.violations.filter((v) => v.ruleId === 'MLOPS_SECRET_PATTERN').map((v) => v.path)).toEqual([`${STACK}/${at}`]);
  });

  test('MLOPS_SECRET_PATTERN reads the literal text only, not the text inside expressions', () => {
    const report = check((s) => new DataResource(s, 'Step', { input: { key: 'id ${lookup(var.keys, "AKIAIOSFODNN7EXAMPLE", "")} of ${var.user}' } }));
    expect(report.violations).toEqual([]);
  });

  test('MLOPS_SECRET_PATTERN accepts ARNs, digests and public keys', () => {
    const report = check(
      (s) =>
        new DataResource(s, 'Step', {
          input: {
            role: 'arn:aws:iam::123456789012:role/AKIA-named-role',
            image: 'contoso.azurecr.io/runtime@sha256:3f8a4d0c1b2e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a',
            ssh: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx3 ops@contoso',
          },
        }),
    );
    expect(report.violations).toEqual([]);
  });
});

describe('public scoring endpoints deployed by release steps', () => {
  const release =
    (endpoint: Record<string, unknown>, kind = 'endpoint') =>
    (s: TerraformStack) =>
      new DataResource(s, 'Release', { input: { specVersion: 1, kind, cloud: 'azure', azure: { endpoint } } });

  test('MLOPS_RELEASE_PUBLIC_ENDPOINT catches an endpoint open to public networks', () => {
    const report = check(release({ authMode: 'AMLToken', publicNetworkAccess: true }));
    expect(report.violations.map((v) => `${v.ruleId} ${v.path} ${v.found}`)).toEqual([
      'MLOPS_RELEASE_PUBLIC_ENDPOINT policy/Release input.azure.endpoint.publicNetworkAccess is true: the scoring endpoint is reachable from public networks',
    ]);
  });

  test('a setting known only at apply time cannot be verified', () => {
    const report = check(release({ publicNetworkAccess: '${var.public}' }));
    expect(report.violations.map((v) => v.ruleId)).toEqual(['MLOPS_RELEASE_PUBLIC_ENDPOINT']);
  });

  test('a private endpoint, a training step, and a public endpoint the config allows pass', () => {
    expect(check(release({ publicNetworkAccess: false })).violations).toEqual([]);
    expect(check(release({ publicNetworkAccess: true }, 'training')).violations).toEqual([]);
    expect(check(release({ publicNetworkAccess: true }), { networkMode: 'public' }).violations).toEqual([]);
  });
});

describe('suppressions', () => {
  const REASON = 'objects are re-created by every training run';

  function unversionedBucket(scope: Construct): S3Bucket {
    return new S3Bucket(scope, 'Bucket', { bucket: 'scratch' });
  }

  test('a suppression on a parent covers its children, lets the synth pass and is listed with path, rule and reason', () => {
    const b = build((s) => {
      const store = new Construct(s, 'Store');
      unversionedBucket(store);
      for (const id of ['CKV2_AWS_6', 'CKV_AWS_19', 'CKV_AWS_145', 'CKV2_AWS_65', 'AwsSolutions-S10', 'CKV2_AWS_61']) Policy.suppress(s, id, 'covered by the bucket test below');
      Policy.suppress(store, 'CKV_AWS_21', REASON);
    });
    expect(synthError(b)).toBeUndefined();
    const report = b.pack.report!;
    expect(report.violations).toEqual([]);
    const versioning = report.suppressed.find((x) => x.ruleId === 'CKV_AWS_21')!;
    expect(versioning).toMatchObject({ path: 'policy/Store/Bucket', suppressedAt: 'policy/Store', reason: REASON });
    expect(versioning.address).toMatch(/^aws_s3_bucket\.Store_Bucket_[0-9A-F]{8}$/);
    expect(b.lines).toContain(`  suppressed CKV_AWS_21 on policy/Store/Bucket (declared on policy/Store): "${REASON}"`);
    expect(b.lines).toContain('  suppressed CKV2_AWS_6 on policy/Store/Bucket (declared on policy): "covered by the bucket test below"');
    expect(b.lines[0]).toBe(`Policy pack on policy: ${POLICY_RULES.length} rules on 1 resource: 0 violation(s), 7 suppressed, 0 unused suppression(s)`);
  });

  test('a suppression covers only its rule', () => {
    const report = check((s) => {
      goodRepo(s).addOverride('image_tag_mutability', 'MUTABLE');
      Policy.suppress(s, 'CKV_AWS_163', 'scanning is done by the central registry scanner');
    });
    expect(report.violations.map((v) => v.ruleId)).toEqual(['CKV_AWS_51']);
    expect(report.unusedSuppressions).toEqual([
      { ruleId: 'CKV_AWS_163', path: STACK, reason: 'scanning is done by the central registry scanner', note: 'it matched no finding; remove it' },
    ]);
  });

  test('an equivalent id of another tool suppresses the rule (AwsSolutions-KMS5 is CKV_AWS_7)', () => {
    const b = build((s) => Policy.suppress(key(s, false), 'AwsSolutions-KMS5', 'the key wraps a one-off export and is deleted after'));
    expect(synthError(b)).toBeUndefined();
    expect(b.pack.report!.suppressed.map((x) => x.ruleId)).toEqual(['CKV_AWS_7']);
    expect(Policy.suppressionsOf(b.stack.node.findChild('Key'))).toMatchObject([{ ruleId: 'CKV_AWS_7', declaredId: 'AwsSolutions-KMS5', path: 'policy/Key' }]);
  });

  test('unused suppressions are printed and reported, also those of rules the config relaxes', () => {
    const b = build(
      (s) => {
        goodRepo(s);
        Policy.suppress(s, 'CKV_AWS_51', 'tags are immutable by pipeline convention');
        Policy.suppress(s, 'MLOPS_AWS_OPEN_INGRESS', 'the load balancer is public by design');
      },
      { networkMode: 'public' },
    );
    expect(synthError(b)).toBeUndefined();
    expect(b.lines).toContain('  unused suppression CKV_AWS_51 on policy: "tags are immutable by pipeline convention": it matched no finding; remove it');
    expect(b.lines).toContain('  unused suppression MLOPS_AWS_OPEN_INGRESS on policy: "the load balancer is public by design": the rule is not applied (network.mode: public)');
    expect(b.pack.report!.unusedSuppressions.map((u) => u.ruleId)).toEqual(['CKV_AWS_51', 'MLOPS_AWS_OPEN_INGRESS']);
  });

  test.each([
    ['an empty reason', ''],
    ['a blank reason', '    '],
    ['a short reason', 'legacy'],
  ])('%s is refused', (_name, reason) => {
    const app = Testing.app();
    const stack = new TerraformStack(app, STACK);
    expect(() => Policy.suppress(stack, 'CKV_AWS_21', reason)).toThrow(MlopsValidationError);
    expect(() => Policy.suppress(stack, 'CKV_AWS_21', reason)).toThrow(
      `[MLOPS_PROP_INVALID] policy: The reason must say why the finding is acceptable, in at least ${MIN_SUPPRESSION_REASON_LENGTH} characters. Got ${JSON.stringify(reason)}.`,
    );
    expect(Policy.suppressionsOf(stack)).toEqual([]);
  });

  test('an unknown rule id is refused with the closest ids', () => {
    const stack = new TerraformStack(Testing.app(), STACK);
    expect(() => Policy.suppress(stack, 'CKV_AWS_2100', 'a long enough reason')).toThrow(
      /"CKV_AWS_2100" is not a rule of the policy pack\. Fix: use a rule id from the README's policy table \(renderPolicyRuleTable\(\)\), e\.g\. CKV_AWS_21, /,
    );
  });

  test('suppressing a rule twice on one construct is refused', () => {
    const stack = new TerraformStack(Testing.app(), STACK);
    Policy.suppress(stack, 'CKV_AWS_21', 'a long enough reason');
    expect(() => Policy.suppress(stack, 'CKV_AWS_21', 'another long reason')).toThrow(/CKV_AWS_21 is already suppressed on this construct/);
  });
});

describe('the pack', () => {
  test('applies once per stack and is found again with PolicyPack.of', () => {
    const b = build(() => undefined);
    expect(PolicyPack.of(b.stack)).toBe(b.pack);
    expect(PolicyPack.of(new TerraformStack(b.app, 'other'))).toBeUndefined();
    expect(() => applyPolicyPack(b.stack)).toThrow(/already has a policy pack/);
  });

  test('the cloud-neutral rules are the ones tested above', () => {
    expect(POLICY_RULES.filter((r) => r.cloud === 'all').map((r) => r.id)).toEqual([
      'MLOPS_SECRET_LITERAL',
      'MLOPS_SECRET_PATTERN',
      'MLOPS_RELEASE_PUBLIC_ENDPOINT',
      'MLOPS_DEPLOY_CYCLE',
      'MLOPS_DUPLICATE_NAME',
    ]);
  });

  test('rule ids (and their equivalents) are unique, and every rule says what it checks and how to fix it', () => {
    const ids = POLICY_RULES.flatMap((r) => [r.id, ...(r.alsoKnownAs ?? [])]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of POLICY_RULES) {
      expect(r.title.length).toBeGreaterThan(10);
      expect(r.fix.length).toBeGreaterThan(10);
      expect(r.resourceTypes.length).toBeGreaterThan(0);
      expect(r.id).toMatch(/^(CKV2?_(AWS|AZURE|GCP)_\d+|AwsSolutions-[A-Z]+\d+|MLOPS_[A-Z0-9_]+)$/);
    }
  });

  test('every Checkov / cdk-nag id of the security defaults is a rule, or is listed as unchecked with the reason', () => {
    const defaults = new Set(SECURITY_DEFAULTS.flatMap((d) => d.ruleIds).filter((id) => /^(CKV|AwsSolutions-)/.test(id)));
    const covered = new Set(POLICY_RULES.flatMap((r) => [r.id, ...(r.alsoKnownAs ?? [])]));
    const missing = [...defaults].filter((id) => !covered.has(id) && !(id in UNCHECKED_DEFAULT_RULE_IDS));
    expect(missing).toEqual([]);
    for (const [id, why] of Object.entries(UNCHECKED_DEFAULT_RULE_IDS)) {
      expect(defaults.has(id)).toBe(true);
      expect(covered.has(id)).toBe(false);
      expect(why.length).toBeGreaterThan(40);
    }
  });

  test('the rule table renders one Markdown row per rule', () => {
    const table = renderPolicyRuleTable();
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toBe('| rule | cloud | resource types | checks | not applied when | fix |');
    expect(lines[1]).toBe('| --- | --- | --- | --- | --- | --- |');
    expect(lines).toHaveLength(POLICY_RULES.length + 2);
    expect(policyRuleTable()).toHaveLength(POLICY_RULES.length);
    expect(table).toContain('| `CKV_AWS_7` (`AwsSolutions-KMS5`) | aws | `aws_kms_key` | KMS key rotation enabled (symmetric keys) |  | Set enable_key_rotation = true');
    expect(table).toContain('| `CKV_AZURE_59` | azure | `azurerm_storage_account` |');
    expect(table).toContain('| `network.mode: public` |');
    expect(table).toContain('| `MLOPS_SECRET_LITERAL` | all | every block |');
    for (const line of lines.slice(2)) expect(line.split(/(?<!\\)\|/)).toHaveLength(8);
  });
});
