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
      const policies = Object.values(tf.resource.aws_iam_role_policy) as any[];
      const batchPolicy = policies.find((p) => String(p.role).includes('BatchScoring'));
      expect(batchPolicy).toBeDefined();
      expect(batchPolicy.policy).toContain('s3:GetObject');
      expect(batchPolicy.policy).toContain('ecr:BatchGetImage');
      expect(batchPolicy.policy).not.toContain('s3:PutObject');
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
