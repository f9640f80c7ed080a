/**
 * linearTokenText (lib/private/token-text.ts): a long text with tokens (a
 * pipeline definition as JSON) resolves to exactly what cdktf resolves the
 * text itself to, without cdktf's escape scan over the whole text.
 */
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Fn, TerraformOutput, TerraformStack, Testing, Token } from 'cdktf';
import { linearTokenText } from '../lib/private/token-text';

afterEach(() => jest.restoreAllMocks());

/** The outputs `plain` (the text as given) and `linear` (through linearTokenText) of one synth. */
function both(make: (stack: TerraformStack) => string): { plain: unknown; linear: unknown } {
  const stack = new TerraformStack(Testing.app(), 'text');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const text = make(stack);
  new TerraformOutput(stack, 'plain', { value: text });
  new TerraformOutput(stack, 'linear', { value: linearTokenText(text) });
  const out = JSON.parse(Testing.synth(stack)).output;
  return { plain: out.plain.value, linear: out.linear.value };
}

describe('linearTokenText', () => {
  test('JSON text with attribute references, a function expression with quotes and a number token: the same as cdktf resolves', () => {
    const r = both((s) => {
      const bucket = new S3Bucket(s, 'Bucket', { bucket: 'b' });
      return JSON.stringify(
        {
          Steps: Array.from({ length: 30 }, (_, i) => ({ Name: `s${i}`, Uri: `s3://${bucket.bucket}/runs/${i}/`, Arn: bucket.arn, N: { K: i } })),
          Joined: Fn.join(',', [bucket.arn, bucket.id]),
          Count: Token.asNumber(bucket.getNumberAttribute('count_of_things')),
        },
        null,
        1,
      );
    });
    expect(r.linear).toBe(r.plain);
    expect(r.linear).toContain('"Uri": "s3://${aws_s3_bucket.Bucket.bucket}/runs/29/"');
    expect(r.linear).toContain('${join(",", [aws_s3_bucket.Bucket.arn, aws_s3_bucket.Bucket.id])}');
    expect(r.linear).not.toContain('TfToken');
  });

  test('a text with a Terraform expression of its own is left to cdktf: the same result', () => {
    const r = both((s) => `{"a": "\${var.region}", "b": "${new S3Bucket(s, 'Bucket', { bucket: 'b' }).arn}"}`);
    expect(r.linear).toBe(r.plain);
    expect(r.linear).toBe('{"a": "${var.region}", "b": "${aws_s3_bucket.Bucket.arn}"}');
  });

  test('a text without tokens is returned as it is', () => {
    expect(linearTokenText('{"a": 1}')).toBe('{"a": 1}');
  });

  test("cdktf's escape scan does not run over the text", () => {
    const encoding = require('cdktf/lib/tokens/private/encoding') as { TokenString: { prototype: { split(this: { str: string }, ...a: unknown[]): unknown } } };
    const split = jest.spyOn(encoding.TokenString.prototype, 'split');
    both((s) => JSON.stringify({ uri: new S3Bucket(s, 'Bucket', { bucket: 'b' }).arn, pad: '}'.repeat(5000) }));
    const long = split.mock.contexts.map((c) => (c as { str: string }).str.length).filter((n) => n > 5000);
    // The plain output's text is split (once per resolution); the linear one's never is.
    expect(long.length).toBeGreaterThan(0);
    split.mockClear();
    const stack = new TerraformStack(Testing.app(), 'only');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    new TerraformOutput(stack, 'linear', { value: linearTokenText(JSON.stringify({ uri: new S3Bucket(stack, 'Bucket', { bucket: 'b' }).arn, pad: '}'.repeat(5000) })) });
    Testing.synth(stack);
    expect(split.mock.contexts.map((c) => (c as { str: string }).str.length).filter((n) => n > 5000)).toEqual([]);
  });
});
