import { Cloud } from './cloud';
import { NamingParts } from './naming';

/** The tags every platform resource carries. */
export function platformTags(naming: NamingParts, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    company: naming.company,
    project: naming.project,
    environment: naming.environment,
    'managed-by': 'cdktf-mlops',
    ...extra,
  };
}

/**
 * Tags in the form the cloud accepts. GCP labels allow lowercase letters,
 * digits, `_` and `-` only, 63 characters, keys starting with a letter.
 */
export function tagsFor(cloud: Cloud, tags: Readonly<Record<string, string>>): Record<string, string> {
  if (cloud !== 'gcp') return { ...tags };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    out[gcpLabel(key, true)] = gcpLabel(value, false);
  }
  return out;
}

function gcpLabel(text: string, isKey: boolean): string {
  let v = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
  if (isKey && !/^[a-z]/.test(v)) v = `k_${v}`.slice(0, 63);
  return v;
}
