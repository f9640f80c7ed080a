import { Cloud } from '../core/cloud';
import { ErrorCode, messages, show } from '../core/errors';
import { PropChecks } from '../core/validate';

/**
 * What the three cloud constructs share about GitHub Actions OIDC: the
 * issuer, the audiences, the subject (`sub`) claims a repository's workflow
 * runs present, their validation, and the outputs the official login actions
 * need.
 */

/** GitHub's OIDC token issuer (the `iss` claim). */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
/** The issuer's host: AWS condition keys and the IAM OIDC provider ARN use it. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
// Facts of Azure's federated credentials live with the Azure identity.
export { AZURE_FEDERATION_AUDIENCE, AZURE_MAX_FEDERATED_CREDENTIALS } from '../azure/perms';
/** The audience `aws-actions/configure-aws-credentials` requests tokens for (the OIDC provider's client id). */
export const AWS_STS_AUDIENCE = 'sts.amazonaws.com';

/** The repository, and which of its workflow runs may sign in. Mirrors the `ci.github` config section. */
export interface GithubRepositoryProps {
  /** The repository as `owner/name`, spelled as in its URL (the `sub` claim is compared exactly). */
  readonly repository: string;
  /**
   * Branches whose workflow runs may sign in (jobs without a GitHub
   * environment present `repo:<owner>/<name>:ref:refs/heads/<branch>`).
   * Exact names: wildcards are refused.
   * @default ['main']
   */
  readonly branches?: readonly string[];
  /**
   * GitHub environments whose jobs may sign in (a job with `environment:`
   * presents `repo:<owner>/<name>:environment:<name>` instead of its branch).
   * The shipped `deploy.yml` runs in an environment: list it here.
   * @default []
   */
  readonly environments?: readonly string[];
  /**
   * Let pull-request workflow runs sign in too (`repo:<owner>/<name>:pull_request`).
   * They get the same rights as a deploy, and anyone who can push a branch and
   * open a pull request controls what such a run executes: keep this off unless
   * the repository restricts who may push.
   * @default false
   */
  readonly pullRequests?: boolean;
  /**
   * The repository part of the `sub` claim, when GitHub issues immutable
   * subject claims for the repository (repositories created, renamed or
   * transferred since mid-2026, or opted in): owner and repository with their
   * numeric ids, exactly as the repository's OIDC settings show it, e.g.
   * `octo-org@123456/octo-repo@456789`.
   * @default - `repository` (the name-based claim)
   */
  readonly subjectRepository?: string;
}

/** What a subject lets sign in. */
export type GithubSubjectKind = 'branch' | 'environment' | 'pull_request';

/** One `sub` claim value the identity trusts. */
export interface GithubSubject {
  /** What the subject names. */
  readonly kind: GithubSubjectKind;
  /** The branch or environment name; `pull_request` for pull requests. */
  readonly name: string;
  /** The exact `sub` claim, e.g. `repo:contoso/ml-platform:ref:refs/heads/main`. */
  readonly subject: string;
}

const OWNER_REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const REF_NAME = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,99}$/;
const SUBJECT_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:@\d{1,20})?\/[A-Za-z0-9._-]{1,100}(?:@\d{1,20})?$/;

/** The props with defaults applied. */
export interface ResolvedGithubRepository {
  /** `owner/name`. */
  readonly repository: string;
  /** The repository part of the `sub` claim. */
  readonly subjectRepository: string;
  /** Trusted branches. */
  readonly branches: readonly string[];
  /** Trusted environments. */
  readonly environments: readonly string[];
  /** Whether pull requests are trusted. */
  readonly pullRequests: boolean;
}

/** Applies the defaults of {@link GithubRepositoryProps}. */
export function resolveGithub(props: GithubRepositoryProps): ResolvedGithubRepository {
  return {
    repository: props.repository,
    subjectRepository: props.subjectRepository ?? props.repository,
    branches: [...(props.branches ?? ['main'])],
    environments: [...(props.environments ?? [])],
    pullRequests: props.pullRequests ?? false,
  };
}

/** The `sub` claims the identity trusts, in a fixed order: branches, environments, pull requests. */
export function githubSubjects(props: GithubRepositoryProps): GithubSubject[] {
  const r = resolveGithub(props);
  const prefix = `repo:${r.subjectRepository}`;
  return [
    ...r.branches.map((b) => ({ kind: 'branch' as const, name: b, subject: `${prefix}:ref:refs/heads/${b}` })),
    ...r.environments.map((e) => ({ kind: 'environment' as const, name: e, subject: `${prefix}:environment:${e}` })),
    ...(r.pullRequests ? [{ kind: 'pull_request' as const, name: 'pull_request', subject: `${prefix}:pull_request` }] : []),
  ];
}

function refProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (/[*?[\]]/.test(value)) return 'contains a wildcard';
  if (value.includes('..')) return 'contains ".."';
  if (!REF_NAME.test(value)) return 'has characters other than letters, digits, _ . / -, or does not start with a letter or digit';
  if (value.endsWith('/') || value.endsWith('.') || value.endsWith('.lock')) return 'ends with "/", "." or ".lock"';
  return undefined;
}

/**
 * Records every problem with the repository props: the repository format,
 * wildcard or malformed branch and environment names, duplicates, an empty
 * subject list, and a malformed `subjectRepository`.
 */
export function checkGithubProps(check: PropChecks, props: GithubRepositoryProps): void {
  const { issues, construct, path } = check;
  const invalid = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, value, accepted));

  if (typeof props.repository !== 'string' || !OWNER_REPO.test(props.repository) || /\/\.\.?$/.test(props.repository)) {
    invalid('repository', props.repository, 'the repository as owner/name, as in its URL, e.g. "contoso/ml-platform" (config: ci.github.repository)');
  }
  if (props.subjectRepository !== undefined) {
    const s = props.subjectRepository;
    if (typeof s !== 'string' || !SUBJECT_REPOSITORY.test(s)) {
      invalid('subjectRepository', s, 'the repository part of the sub claim without wildcards, e.g. "octo-org@123456/octo-repo@456789"');
    } else if (typeof props.repository === 'string' && stripIds(s).toLowerCase() !== props.repository.toLowerCase()) {
      invalid('subjectRepository', s, `the same owner and repository as 'repository' (${show(props.repository)}) with their numeric ids`);
    }
  }
  const lists: Array<['branches' | 'environments', readonly unknown[] | undefined, string]> = [
    ['branches', props.branches, 'ci.github.branches'],
    ['environments', props.environments, 'ci.github.environments'],
  ];
  for (const [prop, list, field] of lists) {
    if (list !== undefined && !Array.isArray(list)) {
      invalid(prop, list, `a list of exact names (config: ${field})`);
      continue;
    }
    const seen = new Set<string>();
    (list ?? []).forEach((value, i) => {
      const problem = refProblem(value);
      if (problem) {
        invalid(
          `${prop}[${i}]`,
          value,
          `an exact ${prop === 'branches' ? 'branch' : 'environment'} name (${problem}): letters, digits, _ . / -, no wildcards or ".." (config: ${field})`,
        );
      } else if (seen.has(value as string)) {
        invalid(`${prop}[${i}]`, value, `a name listed once (it repeats an earlier entry; remove the duplicate from ${field})`);
      } else {
        seen.add(value as string);
      }
    });
  }
  if (props.pullRequests !== undefined && typeof props.pullRequests !== 'boolean') {
    invalid('pullRequests', props.pullRequests, 'true or false (config: ci.github.pullRequests)');
  }
  const r = resolveGithub(props);
  if (Array.isArray(r.branches) && Array.isArray(r.environments) && r.branches.length + r.environments.length === 0 && !r.pullRequests) {
    invalid('branches', [], 'at least one branch or environment (or pullRequests: true): otherwise no workflow run can sign in (config: ci.github.branches / environments)');
  }
}

function stripIds(subjectRepository: string): string {
  return subjectRepository.replace(/@\d+/g, '');
}

/** Where one login value goes: the stack output, the repository variable and the login action input. */
export interface CiLoginValue {
  /** The stack output name (`cdktf output` / `terraform output`). */
  readonly output: string;
  /** The repository variable the shipped `deploy.yml` reads (`vars.<name>`). */
  readonly variable: string;
  /** The official login action. */
  readonly action: string;
  /** The action input the variable feeds. */
  readonly input: string;
  /** What the value is. */
  readonly description: string;
}

/**
 * Exactly the values each cloud's official login action needs, and where they
 * go: copy each stack output into the repository variable of the same name in
 * upper case (Settings → Secrets and variables → Actions → Variables). None
 * is secret.
 */
export const CI_LOGIN_VALUES: Record<Cloud, readonly CiLoginValue[]> = {
  azure: [
    { output: 'azure_client_id', variable: 'AZURE_CLIENT_ID', action: 'azure/login', input: 'client-id', description: 'Client id of the CI user-assigned identity.' },
    { output: 'azure_tenant_id', variable: 'AZURE_TENANT_ID', action: 'azure/login', input: 'tenant-id', description: 'Microsoft Entra tenant id.' },
    {
      output: 'azure_subscription_id',
      variable: 'AZURE_SUBSCRIPTION_ID',
      action: 'azure/login',
      input: 'subscription-id',
      description: 'The subscription the platform is deployed to.',
    },
  ],
  aws: [
    {
      output: 'aws_role_to_assume',
      variable: 'AWS_ROLE_TO_ASSUME',
      action: 'aws-actions/configure-aws-credentials',
      input: 'role-to-assume',
      description: 'ARN of the CI deploy role.',
    },
    { output: 'aws_region', variable: 'AWS_REGION', action: 'aws-actions/configure-aws-credentials', input: 'aws-region', description: 'The region the platform is deployed to.' },
    {
      output: 'aws_role_duration_seconds',
      variable: 'AWS_ROLE_DURATION_SECONDS',
      action: 'aws-actions/configure-aws-credentials',
      input: 'role-duration-seconds',
      description: "Session length the deploy job asks for: the CI role's maximum session (6 hours with a release step, which trains and bakes a rollout).",
    },
  ],
  gcp: [
    {
      output: 'gcp_workload_identity_provider',
      variable: 'GCP_WORKLOAD_IDENTITY_PROVIDER',
      action: 'google-github-actions/auth',
      input: 'workload_identity_provider',
      description: 'Full resource name of the provider: projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>.',
    },
    {
      output: 'gcp_service_account',
      variable: 'GCP_SERVICE_ACCOUNT',
      action: 'google-github-actions/auth',
      input: 'service_account',
      description: 'Email of the CI deployer service account.',
    },
  ],
};
