import { NameKind, Naming, NamingParts, PLATFORM_NAMES } from '../../core/naming';
import { toNaming } from '../../core/platform-props';
import { platformTags, tagsFor } from '../../core/tags';

/** The physical name of an AWS platform resource, using the PLATFORM_NAMES suffix of its kind. */
export function awsName(naming: Naming | NamingParts, kind: NameKind): string {
  const entry = PLATFORM_NAMES.aws.find(([k]) => k === kind);
  if (!entry) throw new Error(`No AWS platform name is registered for kind '${kind}' in PLATFORM_NAMES.`);
  return toNaming(naming).name(kind, entry[1]);
}

/** The tags an AWS resource carries: the platform's own plus `extra`. */
export function awsTags(naming: Naming | NamingParts, extra?: Readonly<Record<string, string>>): Record<string, string> {
  return tagsFor('aws', platformTags(toNaming(naming).parts, extra ?? {}));
}

/** The `lifecycle` block of a stateful resource: prevent destroy while data is retained. */
export function retainLifecycle(retainData: boolean): { preventDestroy: boolean } | undefined {
  return retainData ? { preventDestroy: true } : undefined;
}
