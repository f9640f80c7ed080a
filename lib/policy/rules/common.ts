import { PolicyElement, PolicyFinding, PolicyRule } from '../types';
import { expressionSpans, isRecord } from '../values';

/**
 * Attribute names that hold credentials. Matched on the last segment of the
 * attribute path, case-insensitively, as a whole word (`admin_password`,
 * `DB_PASSWORD`, `client_secret`, `primary_access_key`), never as part of a
 * longer name (`secret_name`, `key_vault_secret_id`, `password_enabled`).
 */
const SECRET_NAME =
  /(^|[_-])(password|passwd|secret|client_secret|secret_key|access_key|private_key|connection_string|api_key|apikey|access_token|auth_token|api_token|sas_token|refresh_token|bearer_token|account_key|shared_key|shared_access_signature)$/i;

/** Attributes whose whole purpose is to carry a secret value, per resource type. */
const SECRET_VALUE_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  azurerm_key_vault_secret: ['value'],
  aws_secretsmanager_secret_version: ['secret_string', 'secret_binary'],
  google_secret_manager_secret_version: ['secret_data'],
};

/**
 * Literal values that point at a secret rather than hold one (a Key Vault
 * reference, a Secrets Manager or SSM ARN, a Secret Manager resource name).
 */
const SECRET_REFERENCE = /^(@Microsoft\.KeyVault\(|arn:aws[a-z-]*:(secretsmanager|ssm):|projects\/[^/]+\/secrets\/)/;

/** Known formats of credentials, found in any literal string of the synthesized output. */
const SECRET_PATTERNS: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: 'an AWS access key id', pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/ },
  { name: 'a private key (PEM)', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
  { name: 'a GitHub token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/ },
  { name: 'an Azure storage account key (AccountKey=)', pattern: /AccountKey=[A-Za-z0-9+/]{20,}={0,2}/ },
  { name: 'a SAS token signature (sig=)', pattern: /[?&]sig=[A-Za-z0-9%+/]{20,}/ },
  { name: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: 'a Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
];

/** Every string in an attribute tree with its dotted path, in tree order. */
function collectStrings(value: unknown, path: string, into: { path: string; value: string }[]): void {
  if (typeof value === 'string') {
    into.push({ path, value });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectStrings(value[i], `${path}[${i}]`, into);
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '//') continue;
      collectStrings(v, path === '' ? k : `${path}.${k}`, into);
    }
  }
}

/** The strings of an element's attributes, collected once per check for the rules that read them all. */
const STRINGS = new WeakMap<object, readonly { path: string; value: string }[]>();
function stringsOf(attrs: Readonly<Record<string, unknown>>): readonly { path: string; value: string }[] {
  let found = STRINGS.get(attrs);
  if (!found) {
    const into: { path: string; value: string }[] = [];
    collectStrings(attrs, '', into);
    STRINGS.set(attrs, into);
    found = into;
  }
  return found;
}

/** The last attribute name of a path (`a.b[0]` → `b`). */
function lastName(path: string): string {
  const parts = path.replace(/\[\d+\]/g, '').split('.');
  return parts[parts.length - 1] ?? path;
}

/** A value described without revealing it. */
function masked(value: string): string {
  return `a literal of ${value.length} characters`;
}

/** The literal text of a string outside its `${…}` expressions (each one a space; an unclosed one is kept). */
function literalText(value: string): string {
  if (!value.includes('${')) return value;
  let text = '';
  let from = 0;
  for (const span of expressionSpans(value)) {
    if (!span.closed) break;
    text += `${value.slice(from, span.start)} `;
    from = span.end;
  }
  return text + value.slice(from);
}

function literalSecrets(element: PolicyElement): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const valueAttrs = element.kind === 'resource' ? (SECRET_VALUE_ATTRIBUTES[element.type] ?? []) : [];
  for (const { path, value } of stringsOf(element.attrs)) {
    if (value === '' || value.includes('${')) continue;
    const name = lastName(path);
    const isValueAttr = valueAttrs.includes(path);
    const isSecureSsm = element.type === 'aws_ssm_parameter' && path === 'value' && element.attrs.type === 'SecureString';
    if (!isValueAttr && !isSecureSsm && !SECRET_NAME.test(name)) continue;
    if (SECRET_REFERENCE.test(value)) continue;
    findings.push({ found: `${path} holds ${masked(value)}` });
  }
  if (element.kind === 'output' && SECRET_NAME.test(element.name)) {
    const value = element.attrs.value;
    if (typeof value === 'string' && value !== '' && !value.includes('${')) {
      findings.push({ found: `output ${element.name} holds ${masked(value)}` });
    }
  }
  return findings;
}

function secretPatterns(element: PolicyElement): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const { path, value } of stringsOf(element.attrs)) {
    const text = literalText(value);
    for (const { name, pattern } of SECRET_PATTERNS) {
      if (pattern.test(text)) findings.push({ found: `${path === '' ? 'the value' : path} contains ${name}` });
    }
  }
  return findings;
}

/** True for a non-empty list of literal CIDRs none of which is open to every address. */
function restrictedRanges(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((r) => typeof r === 'string' && !r.includes('${') && !/^(\*|0\.0\.0\.0(\/0)?|::\/0)$/.test(r));
}

/**
 * Every `publicNetworkAccess` setting in a release spec, with its path; a
 * setting next to a non-empty literal `allowedIpRanges` (public access from
 * those ranges only, e.g. an Azure ML workspace's IP rules) is not listed.
 */
function publicAccessSettings(value: unknown, path: string, into: { path: string; value: unknown }[] = []): { path: string; value: unknown }[] {
  if (Array.isArray(value)) value.forEach((v, i) => publicAccessSettings(v, `${path}[${i}]`, into));
  else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      const p = path === '' ? k : `${path}.${k}`;
      if (k === 'publicNetworkAccess') {
        if (!restrictedRanges(value.allowedIpRanges)) into.push({ path: p, value: v });
      } else publicAccessSettings(v, p, into);
    }
  }
  return into;
}

function publicReleaseEndpoint(element: PolicyElement): PolicyFinding[] {
  const input = element.attrs.input;
  if (!isRecord(input) || input.kind !== 'endpoint') return [];
  return publicAccessSettings(input, 'input')
    .filter((s) => !(s.value === false || (typeof s.value === 'string' && /^disabled$/i.test(s.value))))
    .map((s) => ({
      found:
        typeof s.value === 'string' && s.value.includes('${')
          ? `${s.path} is the expression ${JSON.stringify(s.value)}, which is known only at apply time`
          : `${s.path} is ${JSON.stringify(s.value)}: the scoring endpoint is reachable from public networks`,
    }));
}

/** The cloud-neutral rules: no secret values in the synthesized output; no public scoring endpoint deployed by a release step unless configured. */
export const COMMON_RULES: readonly PolicyRule[] = [
  {
    id: 'MLOPS_SECRET_LITERAL',
    cloud: 'all',
    resourceTypes: ['*'],
    title:
      'no literal secret values: attributes named password, secret, client_secret, access_key, private_key, connection_string, api_key, …, and secret values (key vault / secrets manager / secret manager versions) hold references, not literals',
    fix: 'Do not put credentials in the stack: use the workload identity (managed identity, IAM role, service account) or OIDC; where a secret must exist, create it outside Terraform and pass a reference (Key Vault reference, Secrets Manager / SSM ARN, Secret Manager name) or a resource attribute, never the value',
    check: literalSecrets,
  },
  {
    id: 'MLOPS_SECRET_PATTERN',
    cloud: 'all',
    resourceTypes: ['*'],
    title:
      'no credential formats anywhere in the synthesized output (AWS access key ids AKIA…/ASIA…, PEM private keys, GitHub tokens, storage AccountKey=, SAS sig=, Google API keys, Slack tokens)',
    fix: 'Remove the credential from the code and config, revoke it (it is in the synthesized JSON and the Terraform state), and authenticate with the workload identity or OIDC instead',
    check: secretPatterns,
  },
  {
    id: 'MLOPS_RELEASE_PUBLIC_ENDPOINT',
    cloud: 'all',
    resourceTypes: ['terraform_data'],
    title: 'a scoring endpoint deployed by a release step (`mlops release`) is not reachable from public networks unless the config allows public network access',
    fix: "Leave the endpoint's publicNetworkAccess off (it follows the network mode), or set network.mode: public in the config",
    relaxedBy: 'publicNetwork',
    check: publicReleaseEndpoint,
  },
];
