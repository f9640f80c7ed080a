import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { ReleaseAction, ReleaseError } from '../driver';
import { AzureSession, azureError } from './client';
import { AzureTarget } from './target';

/**
 * Workspace settings azurerm 4.x cannot set, applied by the release step
 * before it runs a job or rolls out an endpoint, idempotently (GET, then a
 * PATCH only of what differs):
 *
 * - `systemDatastoresAuthMode: identity`: the workspace's system datastores
 *   (`workspaceblobstore`, `workspaceartifactstore`, …) are reached with
 *   Entra ID instead of the account key, which is off on the platform's
 *   storage account (learn.microsoft.com/azure/machine-learning/how-to-disable-local-auth-storage);
 *   Microsoft.MachineLearningServices stable api-version 2025-06-01.
 * - with `allowedIpRanges`: public network access on with default-deny IP
 *   rules ("enabled from selected IP addresses", how-to-configure-private-link,
 *   "Enable public access only from internet IP ranges"), which Azure ML
 *   accepts only after the workspace exists. `networkAcls` is in preview
 *   api-versions only (2024-10-01-preview, the one azure-ai-ml uses).
 */

/** api-version of the stable workspace PATCH (systemDatastoresAuthMode). */
export const WORKSPACE_API_VERSION = '2025-06-01';
/** api-version with the workspace's `networkAcls` (preview only). */
export const WORKSPACE_NETWORK_ACLS_API_VERSION = '2024-10-01-preview';

/** Longest wait for a workspace update, in milliseconds. */
const UPDATE_TIMEOUT_MS = 30 * 60_000;

interface Answer {
  readonly status: number;
  readonly body: Record<string, any> | undefined;
  readonly headers: { get(name: string): string | undefined };
}

async function send(s: AzureSession, operation: string, method: 'GET' | 'PATCH', url: string, body?: unknown): Promise<Answer> {
  const request = createPipelineRequest({
    url,
    method,
    headers: createHttpHeaders({ accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }),
    body: body === undefined ? undefined : JSON.stringify(body),
    abortSignal: s.ctx.signal,
  });
  let response;
  try {
    response = await s.client.sendRequest(request);
  } catch (err) {
    throw azureError(operation, err);
  }
  let parsed: Record<string, any> | undefined;
  try {
    parsed = response.bodyAsText ? (JSON.parse(response.bodyAsText) as Record<string, any>) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.status >= 400) {
    const error = (parsed?.error ?? {}) as { code?: string; message?: string };
    throw azureError(operation, Object.assign(new Error(error.message ?? response.bodyAsText ?? `status ${response.status}`), { statusCode: response.status, code: error.code }));
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** PATCHes the workspace and waits for the long-running update (Azure-AsyncOperation or Location) to finish. */
async function patchAndWait(s: AzureSession, operation: string, url: string, body: unknown): Promise<void> {
  const first = await send(s, operation, 'PATCH', url, body);
  const asyncUrl = first.headers.get('azure-asyncoperation');
  const locationUrl = first.headers.get('location');
  if (first.status === 200 && !asyncUrl) return;
  if (!asyncUrl && !locationUrl) return;
  const interval = s.lro.updateIntervalInMs ?? 2000;
  const deadline = s.ctx.now() + UPDATE_TIMEOUT_MS;
  for (;;) {
    await s.ctx.sleep(interval);
    if (asyncUrl) {
      const poll = await send(s, `${operation} (status)`, 'GET', asyncUrl);
      const status = String(poll.body?.status ?? '');
      if (/^succeeded$/i.test(status)) return;
      if (/^(failed|canceled|cancelled)$/i.test(status)) {
        const error = poll.body?.error ?? {};
        throw new ReleaseError(`${operation} ended ${status}: ${error.code ?? ''} ${error.message ?? ''}`.trim(), 'CLOUD_REQUEST_FAILED');
      }
    } else {
      const poll = await send(s, `${operation} (status)`, 'GET', locationUrl!);
      if (poll.status !== 202) return;
    }
    if (s.ctx.now() > deadline) throw new ReleaseError(`${operation} did not finish within ${UPDATE_TIMEOUT_MS / 60_000} minutes.`, 'TIMEOUT');
  }
}

/** `203.0.113.10/32` and `203.0.113.10` are one rule. */
function normalRange(range: string): string {
  return range.replace(/\/32$/, '');
}

/**
 * Brings the workspace to the target's `workspace` settings; returns one
 * action per setting (`updated` or `unchanged`). A target without
 * `workspace` (a spec written before these settings existed) changes nothing.
 */
export async function ensureWorkspaceSettings(s: AzureSession, target: AzureTarget): Promise<ReleaseAction[]> {
  const settings = target.workspace;
  if (!settings) return [];
  const path = `/subscriptions/${s.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${target.workspaceName}`;
  const actions: ReleaseAction[] = [];
  const ws = target.workspaceName;

  const stableUrl = `${s.endpoint}${path}?api-version=${WORKSPACE_API_VERSION}`;
  const current = await send(s, `Reading workspace ${ws}`, 'GET', stableUrl);
  const mode = String(current.body?.properties?.systemDatastoresAuthMode ?? 'accessKey');
  if (mode.toLowerCase() !== settings.systemDatastoresAuthMode.toLowerCase()) {
    s.ctx.log.info(`Workspace ${ws}: system datastores use ${settings.systemDatastoresAuthMode} access (was ${mode})`);
    await patchAndWait(s, `Setting the system datastore access of workspace ${ws}`, stableUrl, { properties: { systemDatastoresAuthMode: settings.systemDatastoresAuthMode } });
    actions.push({ action: 'updated', what: 'workspace system datastores', id: ws, detail: `${mode} -> ${settings.systemDatastoresAuthMode}` });
  } else {
    actions.push({ action: 'unchanged', what: 'workspace system datastores', id: ws, detail: mode });
  }

  if (settings.allowedIpRanges) {
    const previewUrl = `${s.endpoint}${path}?api-version=${WORKSPACE_NETWORK_ACLS_API_VERSION}`;
    const now = await send(s, `Reading the network access of workspace ${ws}`, 'GET', previewUrl);
    const props = now.body?.properties ?? {};
    const acls = props.networkAcls ?? {};
    const have = new Set<string>(((acls.ipRules ?? []) as { value?: string }[]).map((r) => normalRange(String(r.value ?? ''))));
    const want = [...new Set(settings.allowedIpRanges.map(normalRange))].sort();
    const same =
      String(props.publicNetworkAccess ?? '').toLowerCase() === 'enabled' &&
      String(acls.defaultAction ?? '').toLowerCase() === 'deny' &&
      have.size === want.length &&
      want.every((r) => have.has(r));
    if (!same) {
      s.ctx.log.info(`Workspace ${ws}: public access from ${want.join(', ')} only`);
      await patchAndWait(s, `Limiting workspace ${ws} to its allowed IP ranges`, previewUrl, {
        properties: { publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Deny', ipRules: want.map((value) => ({ value })) } },
      });
      actions.push({ action: 'updated', what: 'workspace network access', id: ws, detail: `selected IP addresses: ${want.join(', ')}` });
    } else {
      actions.push({ action: 'unchanged', what: 'workspace network access', id: ws, detail: `selected IP addresses: ${want.join(', ')}` });
    }
  }
  return actions;
}
