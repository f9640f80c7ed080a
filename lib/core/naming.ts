import { Cloud } from './cloud';
import { ErrorCode, IssueCollector, MlopsValidationError, ValidationIssue, show } from './errors';

/** How one kind of cloud resource may be named. */
export interface NameRule {
  /** The cloud the rule belongs to. */
  readonly cloud: Cloud;
  /** What a person calls this resource, for messages. */
  readonly label: string;
  /** Shortest name the cloud accepts. */
  readonly min: number;
  /** Longest name the cloud accepts. */
  readonly max: number;
  /** Characters allowed besides lowercase letters and digits ('' = alphanumerics only). */
  readonly separator: '-' | '';
  /** The name must start with a letter. */
  readonly startsWithLetter?: boolean;
}

/**
 * The naming limits of every resource kind the platform names, per cloud.
 * One table, used by the one naming helper and by config validation.
 */
export const NAME_RULES = {
  // Azure
  resourceGroup: { cloud: 'azure', label: 'Azure resource group', min: 1, max: 90, separator: '-' },
  storageAccount: { cloud: 'azure', label: 'Azure storage account', min: 3, max: 24, separator: '' },
  storageContainer: { cloud: 'azure', label: 'Azure blob container', min: 3, max: 63, separator: '-' },
  keyVault: { cloud: 'azure', label: 'Azure Key Vault', min: 3, max: 24, separator: '-', startsWithLetter: true },
  keyVaultKey: { cloud: 'azure', label: 'Azure Key Vault key', min: 1, max: 127, separator: '-' },
  containerRegistry: { cloud: 'azure', label: 'Azure Container Registry', min: 5, max: 50, separator: '' },
  mlWorkspace: { cloud: 'azure', label: 'Azure ML workspace', min: 3, max: 33, separator: '-', startsWithLetter: true },
  mlComputeCluster: { cloud: 'azure', label: 'Azure ML compute cluster', min: 3, max: 16, separator: '-', startsWithLetter: true },
  managedIdentity: { cloud: 'azure', label: 'Azure managed identity', min: 3, max: 128, separator: '-', startsWithLetter: true },
  logAnalytics: { cloud: 'azure', label: 'Log Analytics workspace', min: 4, max: 63, separator: '-', startsWithLetter: true },
  appInsights: { cloud: 'azure', label: 'Application Insights', min: 1, max: 255, separator: '-' },
  azureRoleDefinition: { cloud: 'azure', label: 'Azure custom role', min: 1, max: 128, separator: '-' },
  // AWS
  s3Bucket: { cloud: 'aws', label: 'S3 bucket', min: 3, max: 63, separator: '-', startsWithLetter: false },
  ecrRepository: { cloud: 'aws', label: 'ECR repository', min: 2, max: 256, separator: '-', startsWithLetter: true },
  iamRole: { cloud: 'aws', label: 'IAM role', min: 1, max: 64, separator: '-' },
  iamPolicy: { cloud: 'aws', label: 'IAM policy', min: 1, max: 128, separator: '-' },
  kmsAlias: { cloud: 'aws', label: 'KMS alias', min: 1, max: 250, separator: '-' },
  modelPackageGroup: { cloud: 'aws', label: 'SageMaker model package group', min: 1, max: 63, separator: '-', startsWithLetter: true },
  mlflowTrackingServer: { cloud: 'aws', label: 'SageMaker MLflow tracking server', min: 1, max: 63, separator: '-', startsWithLetter: true },
  logGroup: { cloud: 'aws', label: 'CloudWatch log group', min: 1, max: 512, separator: '-' },
  secret: { cloud: 'aws', label: 'Secrets Manager secret', min: 1, max: 512, separator: '-' },
  // GCP
  gcsBucket: { cloud: 'gcp', label: 'Cloud Storage bucket', min: 3, max: 63, separator: '-' },
  artifactRepository: { cloud: 'gcp', label: 'Artifact Registry repository', min: 1, max: 63, separator: '-', startsWithLetter: true },
  serviceAccount: { cloud: 'gcp', label: 'service account id', min: 6, max: 30, separator: '-', startsWithLetter: true },
  kmsKeyRing: { cloud: 'gcp', label: 'Cloud KMS key ring', min: 1, max: 63, separator: '-' },
  kmsCryptoKey: { cloud: 'gcp', label: 'Cloud KMS key', min: 1, max: 63, separator: '-' },
  vertexDisplayName: { cloud: 'gcp', label: 'Vertex AI display name', min: 1, max: 128, separator: '-' },
} as const satisfies Record<string, NameRule>;

/** A kind of named resource. */
export type NameKind = keyof typeof NAME_RULES;

/**
 * The resource suffix each platform uses for each named resource: the
 * `<resource>` of `<company>-<project>-<env>-<resource>`. Config validation
 * checks these names fit before any construct is built.
 */
export const PLATFORM_NAMES: Record<Cloud, ReadonlyArray<readonly [NameKind, string]>> = {
  azure: [
    ['resourceGroup', 'rg'],
    ['storageAccount', 'st'],
    ['keyVault', 'kv'],
    ['containerRegistry', 'acr'],
    ['mlWorkspace', 'mlw'],
    ['managedIdentity', 'id'],
    ['logAnalytics', 'log'],
    ['appInsights', 'appi'],
    ['managedIdentity', 'id-svc'],
    ['azureRoleDefinition', 'mlw-model-reader'],
  ],
  aws: [
    ['s3Bucket', 'artifacts'],
    ['ecrRepository', 'runtime'],
    ['iamRole', 'sagemaker'],
    ['kmsAlias', 'key'],
    ['modelPackageGroup', 'models'],
    ['mlflowTrackingServer', 'mlflow'],
    ['logGroup', 'logs'],
  ],
  gcp: [
    ['gcsBucket', 'artifacts'],
    ['artifactRepository', 'runtime'],
    ['serviceAccount', 'ml'],
    ['kmsKeyRing', 'keys'],
    ['kmsCryptoKey', 'key'],
    ['vertexDisplayName', 'experiments'],
  ],
};

/** The parts a platform name is built from. */
export interface NamingParts {
  /** Company or organisation short name, e.g. `contoso`. */
  readonly company: string;
  /** Project short name, e.g. `mlops`. */
  readonly project: string;
  /** Environment, e.g. `dev`, `prod`. */
  readonly environment: string;
  /**
   * Optional short suffix appended to globally unique names (storage accounts,
   * buckets, Key Vaults, registries) to avoid collisions with other tenants.
   * @default - no suffix
   */
  readonly suffix?: string;
}

/**
 * The one naming helper: builds `<company>-<project>-<env>-<resource>` names
 * and sanitises them for each cloud's limits. Names are deterministic: the
 * same parts always give the same name; a name that cannot fit is an error,
 * never a silent truncation.
 */
export class Naming {
  /** The parts the names are built from. */
  public readonly parts: NamingParts;

  constructor(parts: NamingParts) {
    this.parts = parts;
  }

  /** `<company>-<project>-<env>`, lowercased. */
  get prefix(): string {
    return [this.parts.company, this.parts.project, this.parts.environment].map(cleanPart).join('-');
  }

  /** The physical name of `resource` for the given kind; throws if it cannot fit. */
  name(kind: NameKind, resource: string): string {
    const result = this.tryName(kind, resource);
    if (typeof result !== 'string') {
      throw new MlopsValidationError('A resource name does not fit its cloud limits:', [result]);
    }
    return result;
  }

  /** The sanitised name, or the problem that stops it from fitting. */
  tryName(kind: NameKind, resource: string): string | ValidationIssue {
    const rule: NameRule = NAME_RULES[kind];
    const parts = [this.parts.company, this.parts.project, this.parts.environment, resource];
    if (this.parts.suffix) parts.push(this.parts.suffix);
    const name = sanitise(parts, rule);
    const wanted = `<company>-<project>-<env>-${resource}${this.parts.suffix ? '-<suffix>' : ''}`;
    if (name.length > rule.max) {
      return {
        code: ErrorCode.NAME_TOO_LONG,
        path: 'naming',
        message:
          `The ${rule.label} name ${show(name)} (${wanted}) is ${name.length} characters after sanitising; ` +
          `the limit is ${rule.max} (${describeCharset(rule)}). ` +
          `Fix: shorten naming.company, naming.project or naming.environment by at least ${name.length - rule.max} characters.`,
      };
    }
    if (name.length < rule.min || (rule.startsWithLetter && !/^[a-z]/.test(name))) {
      return {
        code: ErrorCode.NAME_INVALID,
        path: 'naming',
        message:
          `The ${rule.label} name ${show(name)} (${wanted}) is not valid: it needs ${rule.min}-${rule.max} characters ` +
          `(${describeCharset(rule)})${rule.startsWithLetter ? ' and must start with a letter' : ''}. ` +
          `Fix: use letters for naming.company.`,
      };
    }
    return name;
  }

  /** Every problem with the names the given cloud's platform will use. */
  check(cloud: Cloud): ValidationIssue[] {
    const issues = new IssueCollector();
    for (const [kind, resource] of PLATFORM_NAMES[cloud]) {
      const result = this.tryName(kind, resource);
      if (typeof result !== 'string') issues.add(result.code, result.path, result.message);
    }
    return [...issues.issues];
  }
}

function cleanPart(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Lowercases, replaces disallowed characters, collapses separators. */
export function sanitise(parts: readonly string[], rule: NameRule): string {
  const cleaned = parts.map(cleanPart).filter((p) => p.length > 0);
  return rule.separator === '' ? cleaned.join('').replace(/-/g, '') : cleaned.join('-');
}

function describeCharset(rule: NameRule): string {
  return rule.separator === '' ? 'lowercase letters and digits only' : 'lowercase letters, digits and hyphens';
}
