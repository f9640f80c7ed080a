import { show } from '../../core/errors';
import { dependsTransitively } from '../graph';
import { PolicyContext, PolicyElement, PolicyFinding, PolicyRule } from '../types';
import { attr, blocks, describe, expectAttr, expectSet, isExpression, isRecord, literalBool, parseJsonDocument, strings } from '../values';

/** One IAM binding: a role and its members. */
interface Binding {
  readonly role: unknown;
  readonly members: readonly unknown[];
  readonly where: string;
}

const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);
const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);
const SA_USER_ROLES = new Set(['roles/iam.serviceAccountUser', 'roles/iam.serviceAccountTokenCreator']);
/** Roles that let a principal act as (or take over) service accounts. */
const IMPERSONATION_ROLES = new Set([
  'roles/owner',
  'roles/editor',
  'roles/iam.securityAdmin',
  'roles/iam.serviceAccountAdmin',
  'roles/iam.serviceAccountKeyAdmin',
  'roles/iam.serviceAccountUser',
  'roles/iam.serviceAccountTokenCreator',
  'roles/iam.workloadIdentityUser',
]);
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** The bindings of an `*_iam_member`, `*_iam_binding` or `*_iam_policy` resource. */
function bindings(e: PolicyElement, context: PolicyContext): Binding[] {
  if (e.type.endsWith('_iam_member')) return [{ role: e.attrs.role, members: [e.attrs.member], where: 'member' }];
  if (e.type.endsWith('_iam_binding')) return [{ role: e.attrs.role, members: strings(e.attrs.members), where: 'members' }];
  if (e.type.endsWith('_iam_policy')) {
    const data = e.attrs.policy_data;
    const ref = typeof data === 'string' ? /^\$\{data\.google_iam_policy\.([A-Za-z0-9_-]+)\.policy_data\}$/.exec(data.trim()) : null;
    if (ref) {
      const doc = context.byAddress(`data.google_iam_policy.${ref[1]}`);
      return blocks(doc?.attrs.binding).map((b, i) => ({ role: b.role, members: strings(b.members), where: `binding[${i}] of ${doc?.address}` }));
    }
    const parsed = typeof data === 'string' ? parseJsonDocument(data) : data;
    const list = isRecord(parsed) && Array.isArray(parsed.bindings) ? parsed.bindings.filter(isRecord) : [];
    return list.map((b, i) => ({ role: b.role, members: strings(b.members), where: `policy_data.bindings[${i}]` }));
  }
  return [];
}

function iamTypes(resource: string): string[] {
  return [`${resource}_iam_member`, `${resource}_iam_binding`, `${resource}_iam_policy`];
}

/** A project-level role rule: reports each binding whose role `bad` picks. */
function projectRoleRule(bad: (role: string, member: unknown, context: PolicyContext) => boolean) {
  return (e: PolicyElement, context: PolicyContext): PolicyFinding[] =>
    bindings(e, context).flatMap((b) => {
      if (typeof b.role !== 'string') return [];
      const members = b.members.filter((m) => bad(b.role as string, m, context));
      return members.length > 0 ? [{ found: `${b.where} grants ${b.role} on the project to ${show(members.length === 1 ? members[0] : members)}` }] : [];
    });
}

function publicMembers(e: PolicyElement, context: PolicyContext): PolicyFinding[] {
  if (e.type.endsWith('_access_control')) {
    const entity = e.attrs.entity;
    return typeof entity === 'string' && PUBLIC_MEMBERS.has(entity) ? [{ found: `entity is ${entity} (role ${show(e.attrs.role)})` }] : [];
  }
  return bindings(e, context).flatMap((b) => {
    const open = b.members.filter((m) => typeof m === 'string' && PUBLIC_MEMBERS.has(m));
    return open.length > 0 ? [{ found: `${b.where} grants ${show(b.role)} to ${open.join(', ')}` }] : [];
  });
}

/**
 * Whether `member` is the Google service agent whose role `role` is
 * (`roles/aiplatform.serviceAgent` to `service-<n>@gcp-sa-aiplatform.iam.gserviceaccount.com`):
 * the grant Google makes itself when it creates an agent, and that an agent
 * created on request (google_project_service_identity) must be given.
 */
function isOwnServiceAgent(role: string, member: unknown): boolean {
  const service = /^roles\/([A-Za-z0-9]+)\.serviceAgent$/.exec(role)?.[1];
  return (
    typeof member === 'string' && service !== undefined && new RegExp(`^serviceAccount:service-(\\d+|\\$\\{[^}]+\\})@gcp-sa-${service}\\.iam\\.gserviceaccount\\.com$`).test(member)
  );
}

/** Whether a member is a user-managed service account (written out, or a google_service_account of this stack). */
function isServiceAccount(member: unknown, context: PolicyContext): boolean {
  if (typeof member !== 'string') return false;
  if (!isExpression(member)) return /^serviceAccount:.+@.+\.iam\.gserviceaccount\.com$/.test(member);
  return context.referenced(member).some((r) => r.type === 'google_service_account');
}

/** A condition that pins the repository: `assertion.repository == '<owner>/<repo>'`, `assertion.repository_id == '…'` or `assertion.sub == 'repo:<owner>/<repo>…'`. */
const REPO_PIN = /assertion\.(repository|repository_id)\s*==\s*(['"])[^'"*]+\2|assertion\.sub\s*==\s*(['"])repo:[^/'"*:]+\/[^'"*:]+(:[^'"]*)?\3/;

/** The `||` alternatives of a CEL condition at the top level (outside parentheses and strings). */
function topLevelAlternatives(condition: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < condition.length; i++) {
    const c = condition[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && c === '|' && condition[i + 1] === '|') {
      parts.push(condition.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  parts.push(condition.slice(start));
  return parts;
}

function wifProvider(e: PolicyElement): PolicyFinding[] {
  const issuer = attr(e.attrs, 'oidc.issuer_uri');
  if (issuer !== GITHUB_ISSUER) return [];
  const findings: PolicyFinding[] = [];
  const mapping = e.attrs.attribute_mapping;
  if (!isRecord(mapping) || mapping['google.subject'] === undefined) findings.push({ found: 'attribute_mapping does not map google.subject' });
  const condition = e.attrs.attribute_condition;
  if (typeof condition !== 'string' || condition.trim() === '') {
    findings.push({ found: 'attribute_condition is not set: tokens of any GitHub repository are accepted' });
  } else if (isExpression(condition)) {
    findings.push({ found: describe('attribute_condition', condition) });
  } else {
    const unpinned = topLevelAlternatives(condition).filter((part) => !REPO_PIN.test(part));
    if (unpinned.length > 0) findings.push({ found: `attribute_condition ${show(condition)} does not pin the repository in ${show(unpinned.map((p) => p.trim()))}` });
  }
  return findings;
}

function rotationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(\.\d+)?)s$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

function openFirewall(e: PolicyElement): PolicyFinding[] {
  if (String(e.attrs.direction ?? 'INGRESS').toUpperCase() !== 'INGRESS' || literalBool(e.attrs.disabled) === true) return [];
  if (blocks(e.attrs.allow).length === 0) return [];
  const open = strings(e.attrs.source_ranges).filter((r) => r === '0.0.0.0/0' || r === '::/0');
  if (open.length === 0) return [];
  const allowed = blocks(e.attrs.allow).map((a) => `${a.protocol}${a.ports ? ` ${show(a.ports)}` : ''}`);
  return [{ found: `source_ranges ${show(open)} may reach ${allowed.join(', ')}` }];
}

// ---- deploy readiness

const IAM_RESOURCE = /^google_[a-z0-9_]+_iam_(member|binding|policy)$/;
/** A per-project Google service agent: `service-<number>@gcp-sa-<service>.iam.gserviceaccount.com`. */
const SERVICE_AGENT = /service-[^@\s"]*@gcp-sa-([a-z0-9-]+)\.iam\.gserviceaccount\.com/;
/** Bucket roles that let Terraform create, read (refresh) and delete an object. */
const OBJECT_WRITE_ROLES = new Set(['roles/storage.objectUser', 'roles/storage.objectAdmin', 'roles/storage.admin']);
/** Repository roles that let Terraform push an image. */
const IMAGE_PUSH_ROLES = new Set(['roles/artifactregistry.writer', 'roles/artifactregistry.repoAdmin', 'roles/artifactregistry.admin']);

/** Grants to lazily created service agents that nothing the grant depends on creates. */
function lazyServiceAgent(e: PolicyElement, context: PolicyContext): PolicyFinding[] {
  if (!IAM_RESOURCE.test(e.type)) return [];
  const identities = context.ofSelector('google_project_service_identity');
  return bindings(e, context).flatMap((b) =>
    b.members.flatMap((m) => {
      const agent = typeof m === 'string' ? SERVICE_AGENT.exec(m) : null;
      if (!agent) return [];
      const service = `${agent[1]}.googleapis.com`;
      const created = identities.some((i) => i.attrs.service === service && dependsTransitively(context.graph, e.address, i.address));
      if (created) return [];
      return [
        {
          found: `${b.where} grants ${show(b.role)} to the ${service} service agent ${show(m)}, which Google creates on first use of the API (not when it is enabled), and nothing this grant depends on creates it: setIamPolicy fails with "Service account … does not exist"`,
          fix: `Create the agent first with google_project_service_identity { service = "${service}" } (google-beta provider) and make the grant depend on it (GcpEncryptionKey.bindServiceAgent does)`,
        },
      ];
    }),
  );
}

/** The elements of `type` that `value` refers to, following one `docker_image.name` hop for pushes. */
function referencedOf(context: PolicyContext, value: unknown, type: string): PolicyElement[] {
  const direct = context.referenced(value);
  const found = direct.filter((r) => r.type === type);
  if (found.length > 0) return found;
  return direct.flatMap((r) => (r.type === 'docker_image' ? context.referenced(r.attrs.name).filter((x) => x.type === type) : []));
}

/** The IAM grants of `selector` on `target` (by reference in `attr`) that give `deployer` one of `roles`. */
function deployerGrants(
  context: PolicyContext,
  target: PolicyElement,
  selectors: readonly string[],
  attrName: string,
  deployer: string,
  roles: ReadonlySet<string>,
): PolicyElement[] {
  return selectors.flatMap((sel) =>
    context
      .companions(target, sel, attrName, ['name', 'repository_id'])
      .filter((g) => bindings(g, context).some((b) => typeof b.role === 'string' && roles.has(b.role) && b.members.includes(deployer))),
  );
}

/** `<location>-docker.pkg.dev/<project>/<repository>/…`: the repository an image name pushes to. */
const AR_IMAGE = /^([a-z0-9-]+)-docker\.pkg\.dev\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/([a-z][a-z0-9-]*)\//;

/** The literal image name a push writes (its own `name`, or the `docker_image` it refers to), if known at synth. */
function pushedImageName(e: PolicyElement, context: PolicyContext): string | undefined {
  if (typeof e.attrs.name === 'string' && !isExpression(e.attrs.name)) return e.attrs.name;
  const image = context.referenced(e.attrs.name).find((r) => r.type === 'docker_image');
  return typeof image?.attrs.name === 'string' && !isExpression(image.attrs.name) ? image.attrs.name : undefined;
}

/**
 * What a data-plane write targets: a bucket or repository of this stack
 * (an element), or one that exists outside it (an imported one, named
 * literally): its grants are then found by that name.
 */
type WriteTarget =
  | { readonly kind: 'element'; readonly element: PolicyElement; readonly label: string }
  | { readonly kind: 'bucket'; readonly name: string; readonly label: string }
  | { readonly kind: 'repository'; readonly project: string; readonly location: string; readonly name: string; readonly label: string };

function writeTarget(e: PolicyElement, context: PolicyContext, isObject: boolean): WriteTarget | undefined {
  const element = isObject ? referencedOf(context, e.attrs.bucket, 'google_storage_bucket')[0] : referencedOf(context, e.attrs.name, 'google_artifact_registry_repository')[0];
  if (element) return { kind: 'element', element, label: element.address };
  if (isObject) {
    const bucket = e.attrs.bucket;
    return typeof bucket === 'string' && !isExpression(bucket) ? { kind: 'bucket', name: bucket, label: bucket } : undefined;
  }
  const image = pushedImageName(e, context);
  const m = image ? AR_IMAGE.exec(image) : null;
  return m ? { kind: 'repository', location: m[1]!, project: m[2]!, name: m[3]!, label: `projects/${m[2]}/locations/${m[1]}/repositories/${m[3]}` } : undefined;
}

/** The grants of `selectors` on `target` that give `deployer` one of `roles`. */
function grantsOn(context: PolicyContext, target: WriteTarget, selectors: readonly string[], attrName: string, deployer: string, roles: ReadonlySet<string>): PolicyElement[] {
  const grants = (g: PolicyElement): boolean => bindings(g, context).some((b) => typeof b.role === 'string' && roles.has(b.role) && b.members.includes(deployer));
  if (target.kind === 'element') return deployerGrants(context, target.element, selectors, attrName, deployer, roles);
  return selectors.flatMap((sel) =>
    context.ofSelector(sel).filter((g) => {
      if (!grants(g)) return false;
      const on = g.attrs[attrName];
      if (target.kind === 'bucket') return on === target.name || on === `b/${target.name}`;
      if (on === target.label) return true;
      // A member names the repository by name with its project and location (the provider's defaults when unset).
      const same = (value: unknown, wanted: string): boolean => value === undefined || value === wanted;
      return on === target.name && same(g.attrs.project, target.project) && same(g.attrs.location, target.location);
    }),
  );
}

/** Terraform's data-plane writes (an object, an image push) that a deployer cannot make: no role, granted too late, or shut out by the bucket's IP filter. */
function deployerWrite(e: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const isObject = e.type === 'google_storage_bucket_object';
  const target = writeTarget(e, context, isObject);
  if (!target) return [];
  const what = isObject ? `uploads ${show(e.attrs.name)} to the bucket ${target.label}` : `pushes an image to the repository ${target.label}`;
  const roles = isObject ? OBJECT_WRITE_ROLES : IMAGE_PUSH_ROLES;
  const selectors = isObject
    ? ['google_storage_bucket_iam_member', 'google_storage_bucket_iam_binding']
    : ['google_artifact_registry_repository_iam_member', 'google_artifact_registry_repository_iam_binding'];
  const attrName = isObject ? 'bucket' : 'repository';
  const findings: PolicyFinding[] = [];
  for (const deployer of context.deploy.deployers) {
    const grants = grantsOn(context, target, selectors, attrName, deployer, roles);
    if (grants.length === 0) {
      findings.push({
        found: `Terraform ${what}, but the deployer ${show(deployer)} has none of ${[...roles].join(', ')} there${target.kind === 'element' ? '' : ' (granted by this stack; a grant made outside it is not visible here)'}`,
        fix: `Grant it (GcpMlPlatform.grantDeploy('${deployer}'), or list it in deployers)`,
      });
    } else if (!grants.some((g) => dependsTransitively(context.graph, e.address, g.address))) {
      findings.push({
        found: `Terraform ${what} without waiting for the deployer ${show(deployer)}'s grant ${grants.map((g) => g.address).join(', ')}: on a first deploy the write can run before the role exists`,
        fix: 'Make the write depend on the grant (GcpMlPlatform orders writes to its bucket and repository after grantDeploy)',
      });
    }
  }
  // An imported bucket's IP filter is its owner's and is not in this stack: only the stack's own buckets are checked.
  if (isObject && target.kind === 'element') {
    const filter = blocks(target.element.attrs.ip_filter)[0];
    if (filter && filter.mode === 'Enabled') {
      const ranges = strings(attr(filter, 'public_network_source.allowed_ip_cidr_ranges'));
      const vpcs = blocks(filter.vpc_network_sources);
      if (context.deploy.networkMode === 'private' && vpcs.length === 0) {
        findings.push({
          found: `Terraform ${what}, but in private network mode the deployers run inside the VPC and the bucket's ip_filter lets no VPC network through (vpc_network_sources is empty)`,
          fix: 'Let the platform network through the IP filter (GcpArtifactStore vpcNetworks; GcpMlPlatform does in private mode)',
        });
      } else if (context.deploy.networkMode !== 'private' && ranges.length === 0 && vpcs.length === 0) {
        findings.push({
          found: `Terraform ${what}, but the bucket's ip_filter is Enabled with no allowed range or network: every deployer is shut out`,
          fix: "List the deployers' egress in network.allowedIpRanges, or leave the list empty to turn the IP filter off",
        });
      }
    }
  }
  return findings;
}

/** The input of a `terraform_data` GCP release step, if `e` is one. */
function gcpReleaseInput(e: PolicyElement): Record<string, unknown> | undefined {
  const input = e.attrs.input;
  return isRecord(input) && input.cloud === 'gcp' && isRecord(input.gcp) ? input : undefined;
}

/** In private mode: workloads (training jobs, PSC endpoints) that would not be in the network. */
function privateWorkload(e: PolicyElement, context: PolicyContext): PolicyFinding[] {
  if (context.deploy.networkMode !== 'private') return [];
  if (e.type === 'terraform_data') {
    const input = gcpReleaseInput(e);
    if (input?.kind !== 'training') return [];
    const gcp = input.gcp as Record<string, unknown>;
    return typeof gcp.networkAttachment === 'string' && gcp.networkAttachment !== ''
      ? []
      : [
          {
            found: 'the training job spec has no networkAttachment: in private network mode the custom job would run outside the VPC',
            fix: "Give the job the platform network's attachment (GcpTrainingJob does on a private-mode GcpMlPlatform)",
          },
        ];
  }
  if (literalBool(attr(e.attrs, 'private_service_connect_config.enable_private_service_connect')) !== true) return [];
  const served = context
    .ofSelector('terraform_data')
    .map(gcpReleaseInput)
    .filter((i): i is Record<string, unknown> => i !== undefined && i.kind === 'endpoint')
    .some((i) => {
      const gcp = i.gcp as Record<string, unknown>;
      const psc = isRecord(gcp.psc) ? gcp.psc : undefined;
      return (
        context.referenced(gcp.endpoint).some((r) => r.address === e.address) &&
        psc !== undefined &&
        context.referenced(psc.address).some((r) => r.type === 'google_compute_address')
      );
    });
  const rule = context.ofSelector('google_compute_forwarding_rule').some((f) => typeof f.attrs.target === 'string' && /serviceAttachments\//.test(f.attrs.target as string));
  if (served || rule) return [];
  return [
    {
      found:
        'the endpoint has Private Service Connect on, but no forwarding rule on a reserved internal address reaches it (no release step keeps one, no google_compute_forwarding_rule targets a service attachment): nobody can call it',
      fix: 'Reserve an internal address and let the release step keep the forwarding rule on it (GcpScoringEndpoint does in private mode)',
    },
  ];
}

/** The GCP rules. */
export const GCP_RULES: readonly PolicyRule[] = [
  // Deploy readiness
  {
    id: 'MLOPS_DEPLOY_GCP_LAZY_SERVICE_AGENT',
    cloud: 'gcp',
    resourceTypes: ['*'],
    title: 'an IAM grant to a Google service agent that Google creates lazily depends on a google_project_service_identity that creates it',
    fix: 'Create the agent with google_project_service_identity (google-beta) and make the grant depend on it',
    check: lazyServiceAgent,
  },
  {
    id: 'MLOPS_DEPLOY_GCP_DEPLOYER_WRITE',
    cloud: 'gcp',
    resourceTypes: ['google_storage_bucket_object', 'docker_registry_image'],
    title: 'every deployer holds a data role on the bucket or repository Terraform writes to, granted before the write, and is not shut out by the bucket IP filter',
    fix: 'List the deployer in deployers (GcpMlPlatform.grantDeploy), and let its network through the IP filter',
    check: deployerWrite,
  },
  {
    id: 'MLOPS_DEPLOY_GCP_PRIVATE_WORKLOAD',
    cloud: 'gcp',
    resourceTypes: ['terraform_data', 'google_vertex_ai_endpoint'],
    title: 'in private network mode, training jobs join the VPC and a Private Service Connect endpoint is reached through a forwarding rule',
    fix: 'Build the job and endpoint on a private-mode GcpMlPlatform (network attachment, reserved address and forwarding rule)',
    check: privateWorkload,
  },
  // Cloud KMS
  {
    id: 'CKV_GCP_43',
    cloud: 'gcp',
    resourceTypes: ['google_kms_crypto_key'],
    title: 'Cloud KMS key rotates at least every 90 days',
    fix: 'Set rotation_period = "7776000s" or shorter (GcpEncryptionKey: rotationPeriodDays ≤ 90)',
    check: (e) => {
      const purpose = e.attrs.purpose;
      if (purpose !== undefined && purpose !== 'ENCRYPT_DECRYPT') return [];
      return expectAttr(e, 'rotation_period', (v) => (rotationSeconds(v) ?? Infinity) <= 7_776_000, { absent: 'fail' });
    },
  },
  {
    id: 'CKV_GCP_82',
    cloud: 'gcp',
    resourceTypes: ['google_kms_crypto_key'],
    title: 'Cloud KMS key protected from deletion (lifecycle prevent_destroy) unless the config lets data be deleted',
    fix: 'Keep lifecycle { prevent_destroy = true } (GcpEncryptionKey: retainData), or set protection.retainData: false in the config',
    relaxedBy: 'allowDataDeletion',
    check: (e) => expectAttr(e, 'lifecycle.prevent_destroy', (v) => literalBool(v) === true, { absent: 'fail' }),
  },
  {
    id: 'CKV_GCP_112',
    cloud: 'gcp',
    resourceTypes: iamTypes('google_kms_crypto_key'),
    title: 'Cloud KMS key not accessible to allUsers or allAuthenticatedUsers',
    fix: 'Grant the key to named service accounts only (GcpEncryptionKey.grantEncryptDecrypt)',
    check: publicMembers,
  },
  // Cloud Storage
  {
    id: 'CKV_GCP_5',
    cloud: 'gcp',
    resourceTypes: ['google_storage_bucket'],
    title: 'bucket encrypts objects with the customer-managed key',
    fix: 'Set encryption { default_kms_key_name = <the platform key> } (GcpArtifactStore: keep customerManagedKey)',
    check: (e) => expectSet(e, 'encryption.default_kms_key_name'),
  },
  {
    id: 'CKV_GCP_29',
    cloud: 'gcp',
    resourceTypes: ['google_storage_bucket'],
    title: 'uniform bucket-level access (IAM only, no object ACLs)',
    fix: 'Set uniform_bucket_level_access = true (GcpArtifactStore: keep uniformBucketLevelAccess)',
    check: (e) => expectAttr(e, 'uniform_bucket_level_access', (v) => literalBool(v) === true, { absent: 'fail', absentNote: '(the provider default is false)' }),
  },
  {
    id: 'CKV_GCP_114',
    cloud: 'gcp',
    resourceTypes: ['google_storage_bucket'],
    title: 'public access prevention enforced on the bucket',
    fix: 'Set public_access_prevention = "enforced" (GcpArtifactStore: keep enforcePublicAccessPrevention)',
    check: (e) => expectAttr(e, 'public_access_prevention', (v) => v === 'enforced', { absent: 'fail', absentNote: '(the default is inherited)' }),
  },
  {
    id: 'CKV_GCP_78',
    cloud: 'gcp',
    resourceTypes: ['google_storage_bucket'],
    title: 'bucket object versioning enabled',
    fix: 'Set versioning { enabled = true } (GcpArtifactStore: keep versioned)',
    check: (e) => expectAttr(e, 'versioning.enabled', (v) => literalBool(v) === true, { absent: 'fail' }),
  },
  {
    id: 'CKV_GCP_28',
    cloud: 'gcp',
    resourceTypes: [
      ...iamTypes('google_storage_bucket'),
      'google_storage_bucket_access_control',
      'google_storage_default_object_access_control',
      'google_storage_object_access_control',
    ],
    title: 'bucket not accessible to allUsers or allAuthenticatedUsers',
    fix: 'Grant to named service accounts only (GcpArtifactStore.grantRead / grantReadWrite)',
    check: publicMembers,
  },
  // Artifact Registry
  {
    id: 'CKV_GCP_84',
    cloud: 'gcp',
    resourceTypes: ['google_artifact_registry_repository'],
    title: 'Artifact Registry repository encrypted with the customer-managed key',
    fix: 'Set kms_key_name to the platform key (GcpImageRegistry: keep customerManagedKey)',
    check: (e) => expectSet(e, 'kms_key_name'),
  },
  {
    id: 'CKV_GCP_101',
    cloud: 'gcp',
    resourceTypes: iamTypes('google_artifact_registry_repository'),
    title: 'Artifact Registry repository not accessible to allUsers or allAuthenticatedUsers',
    fix: 'Grant to named service accounts only (GcpImageRegistry.grantPull / grantPush)',
    check: publicMembers,
  },
  // Vertex AI
  {
    id: 'CKV2_GCP_26',
    cloud: 'gcp',
    resourceTypes: ['google_vertex_ai_tensorboard'],
    title: 'Vertex AI TensorBoard encrypted with the customer-managed key',
    fix: 'Set encryption_spec { kms_key_name = <the platform key> } (GcpMlWorkspace: keep customerManagedKey)',
    check: (e) => expectSet(e, 'encryption_spec.kms_key_name'),
  },
  {
    id: 'CKV2_GCP_24',
    cloud: 'gcp',
    resourceTypes: ['google_vertex_ai_endpoint'],
    title: 'Vertex AI endpoint encrypted with the customer-managed key',
    fix: 'Set encryption_spec { kms_key_name = <the platform key> }',
    check: (e) => expectSet(e, 'encryption_spec.kms_key_name'),
  },
  {
    id: 'CKV2_GCP_33',
    cloud: 'gcp',
    resourceTypes: ['google_vertex_ai_endpoint'],
    title: 'Vertex AI endpoint private (VPC network or Private Service Connect) in private network mode',
    fix: 'Set private_service_connect_config { enable_private_service_connect = true } (GcpScoringEndpoint does in network.mode private)',
    relaxedBy: 'publicNetwork',
    // Public and firewalled mode serve the public, IAM-authenticated endpoint on purpose (Vertex AI
    // endpoints have no IP filter, and PSC needs a network those modes do not have).
    check: (e, context) => {
      if (context.deploy.networkMode !== 'private') return [];
      if (e.attrs.network !== undefined && e.attrs.network !== '') return [];
      if (literalBool(attr(e.attrs, 'private_service_connect_config.enable_private_service_connect')) === true) return [];
      return [{ found: 'neither network nor private_service_connect_config.enable_private_service_connect is set in private network mode: the endpoint is public' }];
    },
  },
  // IAM
  {
    id: 'CKV2_GCP_3',
    cloud: 'gcp',
    resourceTypes: ['google_service_account_key'],
    title: 'no user-managed service account keys',
    fix: 'Remove the google_service_account_key: workloads run as the service account through Vertex AI, CI through Workload Identity Federation',
    check: (e) => [{ found: `a google_service_account_key is created for ${show(e.attrs.service_account_id)}` }],
  },
  {
    id: 'CKV_GCP_117',
    cloud: 'gcp',
    resourceTypes: iamTypes('google_project'),
    title: 'no basic roles (roles/owner, roles/editor, roles/viewer) at project level',
    fix: 'Grant the predefined roles the principal needs, on the resource where possible (GcpWorkloadIdentity grants from perms.ts)',
    check: projectRoleRule((role) => BASIC_ROLES.has(role)),
  },
  {
    id: 'CKV_GCP_41',
    cloud: 'gcp',
    resourceTypes: iamTypes('google_project'),
    title: 'no Service Account User or Token Creator role at project level',
    fix: 'Grant roles/iam.serviceAccountUser on the one service account the principal must act as (google_service_account_iam_member)',
    check: projectRoleRule((role) => SA_USER_ROLES.has(role)),
  },
  {
    id: 'CKV_GCP_49',
    cloud: 'gcp',
    resourceTypes: iamTypes('google_project'),
    title:
      "no role that impersonates or manages service accounts at project level (owner, editor, iam.* admin/user/token creator/workload identity user, a service-agent role given to anyone but that service's own agent)",
    fix: 'Grant impersonation on the one service account concerned (google_service_account_iam_member), never project-wide; a roles/<service>.serviceAgent role only to service-<number>@gcp-sa-<service>.iam.gserviceaccount.com',
    check: projectRoleRule((role, member) => IMPERSONATION_ROLES.has(role) || (/^roles\/[A-Za-z0-9]+\.serviceAgent$/.test(role) && !isOwnServiceAgent(role, member))),
  },
  {
    id: 'CKV_GCP_42',
    cloud: 'gcp',
    resourceTypes: iamTypes('google_project'),
    title: 'no admin, editor or owner role for a service account at project level',
    fix: 'Grant the service account the predefined non-admin roles it needs',
    check: projectRoleRule((role, member, context) => /(admin|Admin|editor|owner)/.test(role) && isServiceAccount(member, context)),
  },
  {
    id: 'CKV_GCP_125',
    cloud: 'gcp',
    resourceTypes: ['google_iam_workload_identity_pool_provider'],
    title: 'GitHub Actions workload identity provider maps google.subject and has an attribute condition pinning the repository',
    fix: 'Set attribute_condition = "assertion.repository == \'<owner>/<repo>\'" (optionally && assertion.ref == \'refs/heads/main\') and map google.subject = "assertion.sub"',
    check: wifProvider,
  },
  // Network
  {
    id: 'MLOPS_GCP_OPEN_INGRESS',
    cloud: 'gcp',
    resourceTypes: ['google_compute_firewall'],
    title: 'no firewall rule allows ingress from 0.0.0.0/0 or ::/0 unless the config allows public network access',
    fix: 'Restrict source_ranges to network.allowedIpRanges, or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
    check: openFirewall,
  },
];
