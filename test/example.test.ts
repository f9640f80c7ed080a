import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

describe('examples/import-as-library', () => {
  test('imports the package through its exports and synthesizes the team stack', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-example-'));
    try {
      const main = path.join(ROOT, 'dist', 'examples', 'import-as-library', 'main.js');
      // The compiled example requires 'cdktf-mlops' by name: Node resolves it through package.json "exports".
      expect(fs.readFileSync(main, 'utf8')).toMatch(/require\("cdktf-mlops"\)/);
      const r = spawnSync(process.execPath, [main], { cwd: ROOT, env: { ...process.env, CDKTF_OUTDIR: out }, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const tf = JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'churn-team', 'cdk.tf.json'), 'utf8'));
      const roles = Object.values(tf.resource.aws_iam_role) as any[];
      expect(roles.map((r) => r.name).sort()).toEqual(['fabrikam-churn-prod-batch-scoring', 'fabrikam-churn-prod-sagemaker']);
      // The batch identity is Lambda's to assume.
      const batchRole = roles.find((r) => r.name === 'fabrikam-churn-prod-batch-scoring');
      expect(JSON.parse(batchRole.assume_role_policy).Statement[0].Principal).toEqual({ Service: 'lambda.amazonaws.com' });
      const policies = Object.values(tf.resource.aws_iam_role_policy) as any[];
      const batchPolicy = policies.find((p) => String(p.role).includes('BatchScoring'));
      expect(batchPolicy).toBeDefined();
      expect(batchPolicy.policy).toContain('s3:GetObject');
      expect(batchPolicy.policy).toContain('ecr:BatchGetImage');
      expect(batchPolicy.policy).not.toContain('s3:PutObject');
      // The team's existing role gets its grant as an inline policy on that role.
      expect(policies.some((p) => p.role === 'churn-analytics' && String(p.policy).includes('sagemaker:DescribeModelPackage'))).toBe(true);
      // The landing zone's key is used, not created: only the service key for logs and alert topics is.
      const bucketKey = Object.values(tf.resource.aws_s3_bucket_server_side_encryption_configuration ?? {}) as any[];
      expect(JSON.stringify(bucketKey)).toContain('key/1234abcd-12ab-34cd-56ef-1234567890ab');
      // The stack from a config written in code: private mode, its VPC and a deploy-ready policy pack.
      const platformTf = JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'churn-platform', 'cdk.tf.json'), 'utf8'));
      expect(Object.keys(platformTf.resource.aws_vpc ?? {})).toHaveLength(1);
      expect(platformTf.output.network_mode.value).toBe('private');
      expect(tf.output.image).toBeDefined();
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('the package exports map points at the built library', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('cdktf-mlops');
    expect(pkg.exports['.'].default).toBe('./dist/lib/index.js');
    expect(fs.existsSync(path.join(ROOT, pkg.exports['.'].default))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, pkg.exports['.'].types))).toBe(true);
  });
});
