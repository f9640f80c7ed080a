import { IConstruct } from 'constructs';
import type { AzureReachableFrom } from './common';

/** The values `reachableFrom` accepts. */
export const AZURE_REACHABLE_FROM: readonly AzureReachableFrom[] = ['public', 'allowedRanges', 'privateEndpoint'];

/** What kind of existing resource an import stands for. */
export type AzureImportKind = 'resourceGroup' | 'keyVault' | 'storageAccount' | 'containerRegistry' | 'userAssignedIdentity' | 'principal' | 'network';

/**
 * What the deploy-readiness rules know about an imported resource (the
 * synthesized JSON has no block for it). Values may be tokens: then the
 * resource is in the stack after all, and the rules read its block.
 */
export interface AzureImportInfo {
  readonly kind: AzureImportKind;
  /** Resource id (for a principal: its object id). */
  readonly resourceId: string;
  /** Resource name (account, registry, vault, identity name). */
  readonly name: string;
  /** How its data plane is reached, if the import says. */
  readonly reachableFrom?: AzureReachableFrom;
  /** Registry: its login server. */
  readonly loginServer?: string;
  /** Key Vault: the key's resource id (`<vault id>/keys/<name>`) and its key ids (versioned, versionless). */
  readonly keyResourceId?: string;
  readonly keyIds?: readonly string[];
  /** Identity: its principal (object) id. */
  readonly principalId?: string;
}

const MARK = Symbol.for('cdktf-mlops.azure.imported');

/** Marks a construct as standing for an existing resource. */
export function markImported(construct: IConstruct, info: AzureImportInfo): void {
  Object.defineProperty(construct, MARK, { value: info, enumerable: false });
}

/** The import info of a construct, if it stands for an existing resource. */
export function importInfoOf(construct: unknown): AzureImportInfo | undefined {
  return typeof construct === 'object' && construct !== null ? ((construct as Record<symbol, AzureImportInfo | undefined>)[MARK] ?? undefined) : undefined;
}
