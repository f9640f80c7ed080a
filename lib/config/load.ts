import * as fs from 'fs';
import * as path from 'path';
import { YAMLException, load as parseYaml } from 'js-yaml';
import type { core as zcore } from 'zod';
import { CLOUD_TITLES } from '../core/cloud';
import { ErrorCode, MlopsValidationError, ValidationIssue, cut, show, showKey, withArticle } from '../core/errors';
import { Naming } from '../core/naming';
import { DEPLOYER_FORMATS, NETWORK_MODES } from '../core/network';
import { IMAGE_URI_BY_DIGEST } from '../image/image-ref';
import { CLOUDS } from '../core/cloud';
import { RELEASE_NAME_LIMITS } from '../core/release';
import { markValidated } from './validated';
import { CONFIG_FIELDS, REGION_FORMATS, StackConfig, StackConfigSchema, fieldAt } from './schema';

/** Environment variable naming the config(s) to synthesize: names or paths, comma-separated. */
export const CONFIG_ENV_VAR = 'MLOPS_CONFIG';
/** cdktf.json context key listing the configs to synthesize. */
export const CONFIG_CONTEXT_KEY = 'mlopsConfigs';

/**
 * Validates a parsed config object. Every problem is reported at once, each
 * naming the path, the value, what is accepted and the fix.
 */
export function parseConfig(raw: unknown, source?: string): StackConfig {
  if (!isMapping(raw)) {
    throw new MlopsValidationError(`Invalid stack config${source ? ` ${source}` : ''} (1 problem):`, [topLevelIssue('is not a mapping', describeTopLevel(raw))]);
  }
  const result = StackConfigSchema.safeParse(raw);
  const issues: ValidationIssue[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) issues.push(...fromZodIssue(issue, raw));
  }
  // Cross-field rules run on what parsed, so the user sees every problem in one go.
  const input = (raw ?? {}) as Record<string, any>;
  const cloud = input.cloud;
  if (typeof cloud === 'string' && cloud in REGION_FORMATS) {
    const c = cloud as keyof typeof REGION_FORMATS;
    if (input[c] === undefined) {
      issues.push(problem(c, undefined, fieldAt([c])!.accepted, fieldAt([c])!.fix, `is required when cloud is ${c}`));
    }
    const region = input.region;
    if (typeof region === 'string' && !REGION_FORMATS[c].pattern.test(region)) {
      issues.push(
        problem(
          'region',
          region,
          `a region name as ${CLOUD_TITLES[c]} spells it (${REGION_FORMATS[c].example})`,
          `use the region's programmatic name, not its display name`,
          'is malformed',
        ),
      );
    }
    for (const other of Object.keys(REGION_FORMATS)) {
      if (other !== c && input[other] !== undefined) {
        issues.push(
          problem(other, input[other], `only the ${c} section while cloud is ${c}`, `remove the ${other} section or set cloud: ${other}`, 'does not belong to the selected cloud'),
        );
      }
    }
    const naming = StackConfigSchema.shape.naming.safeParse(input.naming);
    if (naming.success) {
      for (const issue of new Naming(naming.data).check(c)) issues.push(issue);
    }
  }
  const model = input.deployment?.model;
  if (typeof cloud === 'string' && cloud in RELEASE_NAME_LIMITS && typeof model === 'string') {
    const naming = StackConfigSchema.shape.naming.safeParse(input.naming);
    if (naming.success) {
      const release = `${new Naming(naming.data).prefix}-${model}`;
      const limit = RELEASE_NAME_LIMITS[cloud as keyof typeof RELEASE_NAME_LIMITS];
      if (release.length > limit.max) {
        issues.push(
          problem(
            'deployment.model',
            model,
            `a model name that keeps "${release}" within ${limit.max} characters (${limit.why})`,
            `shorten deployment.model (or naming parts) by ${release.length - limit.max} character(s)`,
            'makes the release name too long',
          ),
        );
      }
    }
  }
  issues.push(...networkProblems(input));
  if (input.alerts !== undefined && input.deployment === undefined) {
    issues.push(
      problem(
        'alerts',
        input.alerts,
        'alerts only together with a deployment: section (they watch its endpoint and training job)',
        'add a deployment: section or remove alerts:',
        'has nothing to watch',
      ),
    );
  }
  if (cloud === 'gcp' && typeof input.alerts?.noTrafficMinutes === 'number' && input.alerts.noTrafficMinutes > 1410) {
    issues.push(
      problem(
        'alerts.noTrafficMinutes',
        input.alerts.noTrafficMinutes,
        'at most 1410 on GCP (a Cloud Monitoring absence condition waits at most 23.5 hours)',
        'set 1410 or less',
        'is too long for GCP',
      ),
    );
  }
  const instanceCount = input.deployment?.training?.instanceCount;
  if (cloud === 'gcp' && typeof instanceCount === 'number' && instanceCount > 1) {
    issues.push(
      problem(
        'deployment.training.instanceCount',
        instanceCount,
        '1 on GCP (`mlops train` runs on one machine; a Vertex AI custom job would start idle replicas)',
        'set instanceCount: 1 and a larger compute.training.size',
        'is more than one machine',
      ),
    );
  }
  const rolloutInput = input.deployment?.endpoint?.rollout;
  if (cloud === 'aws' && rolloutInput) {
    if (typeof rolloutInput.bakeMinutes === 'number' && rolloutInput.bakeMinutes > 60) {
      issues.push(
        problem(
          'deployment.endpoint.rollout.bakeMinutes',
          rolloutInput.bakeMinutes,
          'at most 60 on AWS (SageMaker waits at most 3600 s between traffic shifts)',
          'set 60 or less',
          'is too long for SageMaker',
        ),
      );
    }
    if (typeof rolloutInput.stepPercent === 'number' && rolloutInput.stepPercent < 10) {
      issues.push(
        problem(
          'deployment.endpoint.rollout.stepPercent',
          rolloutInput.stepPercent,
          'at least 10 on AWS (SageMaker linear steps are 10-50% of capacity)',
          'set 10 or more',
          'is too small for SageMaker',
        ),
      );
    }
  }
  issues.push(...imageProblems(input));
  issues.push(...uploadProblems(input));
  issues.push(...continuousTrainingProblems(input, cloud));
  const endpoint = input.deployment?.endpoint;
  if (endpoint && typeof endpoint.minInstances === 'number' && typeof endpoint.maxInstances === 'number' && endpoint.maxInstances < endpoint.minInstances) {
    issues.push(
      problem(
        'deployment.endpoint.maxInstances',
        endpoint.maxInstances,
        `at least minInstances (${endpoint.minInstances})`,
        'raise maxInstances or lower minInstances',
        'is below minInstances',
      ),
    );
  }
  if (issues.length > 0) {
    throw new MlopsValidationError(`Invalid stack config${source ? ` ${source}` : ''} (${issues.length} problem${issues.length === 1 ? '' : 's'}):`, issues);
  }
  return markValidated(result.data!);
}

/** Cross-field rules of the continuous-training fields: schedule and batch need a pipeline; EventBridge takes one day field. */
function continuousTrainingProblems(input: Record<string, any>, cloud: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const d = input.deployment;
  if (!d) return issues;
  for (const key of ['schedule', 'batch'] as const) {
    if (d[key] !== undefined && d.pipeline === undefined)
      issues.push(
        problem(
          `deployment.${key}`,
          d[key],
          key === 'batch'
            ? 'only together with deployment.pipeline (batch scoring uses the model the pipeline promotes)'
            : 'only together with deployment.pipeline (it runs the pipeline)',
          'add deployment.pipeline: { file: <pipeline.yaml> }',
          key === 'batch' ? 'has no pipeline to take its model from' : 'has no pipeline to run',
        ),
      );
  }
  if (cloud === 'aws') {
    for (const [at, sched] of [
      ['deployment.schedule.cron', d.schedule],
      ['deployment.batch.schedule.cron', d.batch?.schedule],
    ] as const) {
      const fields = typeof sched?.cron === 'string' ? sched.cron.trim().split(/\s+/) : [];
      if (fields.length === 5 && fields[2] !== '*' && fields[4] !== '*')
        issues.push(
          problem(
            at,
            sched!.cron,
            'day-of-month or day-of-week, not both, on AWS (EventBridge Scheduler takes one of them)',
            'set day-of-month or day-of-week to *',
            'sets both day fields',
          ),
        );
    }
  }
  return issues;
}

/** How long `<company>-<project>-<env>-<model>` may be on each cloud, and why (lib/core/release.ts). */
export { RELEASE_NAME_LIMITS };

/** The largest config file read: a stack config is a few KB (a symlink to /dev/zero must not hang synth). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/**
 * The most values (mappings, lists and scalars) a config may hold once its YAML
 * aliases are expanded. The shipped configs hold about 100. js-yaml shares an
 * aliased node instead of copying it, so parsing an alias bomb is cheap, but
 * anything that walks the result (validation, messages) would expand it.
 */
export const MAX_CONFIG_VALUES = 10_000;

/** Where to start a new config, for messages. */
const START_FROM = 'start from a shipped config, stacks/config/dev-<cloud>.yaml (dev-aws, dev-azure or dev-gcp), and change its names and ids';

/** Reads, parses and validates a YAML config file. */
export function loadConfig(file: string): StackConfig {
  const text = readConfigText(file);
  let raw: unknown;
  try {
    // js-yaml refuses duplicate keys, and is light to load (synth time matters).
    raw = parseYaml(text, { filename: file });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    throw new MlopsValidationError(`Stack config ${file} is not valid YAML:`, [
      {
        code: ErrorCode.CONFIG_YAML,
        path: `${file}:${err.mark ? err.mark.line + 1 : '?'}:${err.mark ? err.mark.column + 1 : '?'}`,
        message: `${cut(err.reason ?? err.message, 200)}. Fix: correct the YAML syntax at that line.`,
      },
    ]);
  }
  const expansion = expansionProblem(raw);
  if (expansion) {
    throw new MlopsValidationError(`Stack config ${file} is refused:`, [{ code: ErrorCode.CONFIG_YAML, path: file, message: expansion }]);
  }
  if ((raw === undefined || raw === null) && withoutComments(text).trim() === '') {
    const empty = text.trim() === '';
    throw new MlopsValidationError(`Invalid stack config ${file} (1 problem):`, [
      topLevelIssue(empty ? 'is empty' : 'holds no keys', empty ? 'an empty file' : 'only comments (or document markers)'),
    ]);
  }
  return parseConfig(raw, file);
}

/** `text` without YAML comment lines and document markers. */
function withoutComments(text: string): string {
  return text
    .split(/\r?\n/)
    .filter((line) => !/^\s*(#.*)?$/.test(line) && !/^(---|\.\.\.)\s*(#.*)?$/.test(line))
    .join('\n');
}

/**
 * The config file's text: refuses, with what was found and the fix, a path
 * that does not exist, a directory, a device (a symlink to /dev/zero), or a
 * file larger than {@link MAX_CONFIG_BYTES} (read no further than that).
 */
function readConfigText(file: string): string {
  const refuse = (code: ErrorCode, message: string): never => {
    throw new MlopsValidationError(code === ErrorCode.CONFIG_NOT_FOUND ? 'Stack config not found:' : `Stack config ${file} cannot be read:`, [{ code, path: file, message }]);
  };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const dir = path.dirname(file);
      const dangling = isSymlink(file) ? ` (a symbolic link to ${readLink(file)}, which does not exist)` : '';
      return refuse(
        ErrorCode.CONFIG_NOT_FOUND,
        `no such file${dangling}. Available in ${dir}: ${yamlFilesIn(dir)}. Fix: set ${CONFIG_ENV_VAR} to one of them (without .yaml) or to a file path.`,
      );
    }
    return refuse(
      ErrorCode.CONFIG_NOT_FOUND,
      `cannot be read (${code ?? String(err)}). Fix: make the file readable by the user who runs synth, or point ${CONFIG_ENV_VAR} at another file.`,
    );
  }
  const link = isSymlink(file) ? ` (a symbolic link to ${readLink(file)})` : '';
  if (stat.isDirectory()) {
    return refuse(
      ErrorCode.CONFIG_NOT_FOUND,
      `is a directory${link}, not a config file; YAML files in it: ${yamlFilesIn(file)}. Fix: set ${CONFIG_ENV_VAR} to a file, e.g. ${path.join(file, '<name>.yaml')}, or to a config name in stacks/config.`,
    );
  }
  if (!stat.isFile() && !stat.isFIFO()) {
    const kind = stat.isCharacterDevice() ? 'a character device' : stat.isBlockDevice() ? 'a block device' : stat.isSocket() ? 'a socket' : 'not a regular file';
    return refuse(ErrorCode.CONFIG_NOT_FOUND, `is ${kind}${link}, not a config file. Fix: point ${CONFIG_ENV_VAR} at a YAML file.`);
  }
  const tooLarge = (size: string): never =>
    refuse(
      ErrorCode.CONFIG_INVALID,
      `is too large: got ${size}${link}; accepted: a YAML file of at most ${MAX_CONFIG_BYTES / 1024 / 1024} MiB (a stack config is a few KB). Fix: point ${CONFIG_ENV_VAR} at the stack config, not a data file.`,
    );
  if (stat.isFile() && stat.size > MAX_CONFIG_BYTES) tooLarge(`${(stat.size / 1024 / 1024).toFixed(1)} MiB`);
  // Read at most one byte more than the limit: a pipe or a growing file is cut off too.
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) tooLarge(`more than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`);
    }
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof MlopsValidationError) throw err;
    return refuse(
      ErrorCode.CONFIG_NOT_FOUND,
      `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix: make the file readable by the user who runs synth, or point ${CONFIG_ENV_VAR} at another file.`,
    );
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function readLink(file: string): string {
  try {
    return cut(fs.readlinkSync(file), 200);
  } catch {
    return '?';
  }
}

/** The YAML files in `dir`, for messages (at most 20 named). */
function yamlFilesIn(dir: string): string {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    return '(none)';
  }
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, 20).map((n) => showKey(n, 60));
  return names.length > shown.length ? `${shown.join(', ')} and ${names.length - shown.length} more` : shown.join(', ');
}

/**
 * Why a parsed YAML document is refused before validation: more than
 * {@link MAX_CONFIG_VALUES} values once aliases are expanded (an alias bomb),
 * or an alias inside the node it refers to (a cycle). Walks at most that many
 * values, so it is bounded in time whatever the document.
 */
function expansionProblem(raw: unknown): string | undefined {
  let count = 0;
  const ancestors = new Set<object>();
  const visit = (value: unknown, at: readonly (string | number)[]): string | undefined => {
    if (++count > MAX_CONFIG_VALUES) {
      return `holds more than ${MAX_CONFIG_VALUES} values once its aliases (*name) are expanded: got an alias bomb, or a list or mapping that large; accepted: anchors (&name) and aliases that expand to at most ${MAX_CONFIG_VALUES} values (a stack config holds about 100). Fix: write the repeated parts out, or remove the aliases that refer to nodes made of aliases.`;
    }
    if (value === null || typeof value !== 'object' || value instanceof Date) return undefined;
    if (ancestors.has(value)) {
      return `has an alias inside the node it refers to, at ${at.map((s) => showKey(s)).join('.') || '(top level)'}: got a node that contains itself; accepted: aliases (*name) to nodes outside them. Fix: write that part out, or refer to another node.`;
    }
    ancestors.add(value);
    try {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const found = visit(value[i], [...at, i]);
          if (found) return found;
        }
      } else {
        for (const key in value) {
          if (!Object.hasOwn(value, key)) continue;
          const found = visit((value as Record<string, unknown>)[key], [...at, key]);
          if (found) return found;
        }
      }
    } finally {
      ancestors.delete(value);
    }
    return undefined;
  };
  return visit(raw, []);
}

/** A config that is not a mapping (an empty file, a list, a scalar). */
function topLevelIssue(what: string, got: string): ValidationIssue {
  const optional = Object.keys(StackConfigSchema.shape).filter((k) => !['cloud', 'naming', 'region', ...CLOUDS].includes(k));
  return {
    code: ErrorCode.CONFIG_INVALID,
    path: '(top level)',
    message:
      `${what}: got ${got}; accepted: a mapping with cloud, naming, region and the cloud's account section (${CLOUDS.map((c) => `${c}:`).join(', ')}), ` +
      `optionally ${optional.join(', ')}. Fix: ${START_FROM}.`,
  };
}

/** What a non-mapping config holds, for messages. */
function describeTopLevel(raw: unknown): string {
  if (raw === undefined) return 'nothing';
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return `a list ${show(raw)}`;
  if (raw instanceof Date) return `a date ${show(raw)}`;
  return `${withArticle(typeof raw)} ${show(raw)}`;
}

/** True for what a YAML mapping parses to: an object (as the schema takes it), not a list or a date. */
function isMapping(raw: unknown): raw is Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !(raw instanceof Date);
}

/**
 * Which configs to synthesize: `MLOPS_CONFIG` (comma-separated names or paths)
 * wins over the cdktf.json context `mlopsConfigs`; with neither, every
 * `<configDir>/*.yaml`. Names resolve to `<configDir>/<name>.yaml`. Each stack
 * is named after its file (`dev-aws.yaml` → `dev-aws`).
 *
 * @throws MlopsValidationError when the selection names no config (e.g.
 *   `MLOPS_CONFIG=","`), when a file name cannot name a cdktf stack (see
 *   {@link configStackId}), or when two entries would give one stack name
 */
export function resolveConfigFiles(configDir: string, contextValue: unknown, env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = env[CONFIG_ENV_VAR];
  const split = (text: string): string[] =>
    text
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  let names: string[];
  let origin: string;
  if (fromEnv?.trim()) {
    names = split(fromEnv);
    origin = CONFIG_ENV_VAR;
    if (names.length === 0) {
      throw selectionError(
        CONFIG_ENV_VAR,
        fromEnv,
        `config names or paths, comma-separated (${CONFIG_ENV_VAR}=dev-aws or ${CONFIG_ENV_VAR}=dev-aws,./team/prod.yaml)`,
        `set ${CONFIG_ENV_VAR} to one or more of ${availableNames(configDir)}, or unset it to synthesize the list in cdktf.json (context.${CONFIG_CONTEXT_KEY})`,
      );
    }
  } else if (contextValue !== undefined && contextValue !== null) {
    origin = `cdktf.json context.${CONFIG_CONTEXT_KEY}`;
    const list = Array.isArray(contextValue) ? contextValue : typeof contextValue === 'string' ? split(contextValue) : undefined;
    if (!list || list.some((n) => typeof n !== 'string')) {
      throw selectionError(
        origin,
        contextValue,
        'a list of config names or paths (or one comma-separated string)',
        `write "${CONFIG_CONTEXT_KEY}": ["dev-aws", "prod-aws"], or remove it to synthesize every ${path.join(configDir, '*.yaml')}`,
        'is not a list of config names',
      );
    }
    names = (list as string[]).map((n) => n.trim()).filter(Boolean);
    if (names.length === 0) {
      throw selectionError(
        origin,
        contextValue,
        'a list of at least one config name or path',
        `list configs such as ${availableNames(configDir)}, or remove the key to synthesize every ${path.join(configDir, '*.yaml')}`,
      );
    }
  } else {
    origin = configDir;
    let entries: string[];
    try {
      entries = fs.readdirSync(configDir);
    } catch (err) {
      throw new MlopsValidationError('Stack config not found:', [
        {
          code: ErrorCode.CONFIG_NOT_FOUND,
          path: cut(configDir, 300),
          message: `the config folder cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix: create it with a config (${START_FROM}), or set ${CONFIG_ENV_VAR} to a config file.`,
        },
      ]);
    }
    names = entries
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    if (names.length === 0) {
      throw new MlopsValidationError('Stack config not found:', [
        { code: ErrorCode.CONFIG_NOT_FOUND, path: cut(configDir, 300), message: `holds no *.yaml config. Fix: ${START_FROM}, or set ${CONFIG_ENV_VAR} to a config file.` },
      ]);
    }
  }
  // An entry with a slash or a .yaml/.yml ending is a path; a file named just ".yaml" in the folder stays in the folder.
  const files = names.map((n) => (origin !== configDir && /[\\/]|\.ya?ml$/.test(n) ? path.resolve(n) : path.join(configDir, `${n}.yaml`)));
  const issues: ValidationIssue[] = [];
  const byId = new Map<string, string>();
  for (const file of files) {
    const id = configStackId(file);
    if (!STACK_ID.test(id)) {
      issues.push({
        code: ErrorCode.CONFIG_INVALID,
        path: cut(file, 300),
        message:
          `cannot name a stack (the stack is named after the file): got ${show(id)}; accepted: a file name of letters, digits, '-', '_' and '.' before .yaml, ` +
          `starting with a letter or digit (cdktf refuses whitespace and the glob characters * ? [ ] { } ! in stack names). Fix: rename the file to ${suggestedFileName(id)}${origin === CONFIG_ENV_VAR ? ` and set ${CONFIG_ENV_VAR} to the new name` : ''}.`,
      });
      continue;
    }
    const first = byId.get(id);
    if (first === undefined) {
      byId.set(id, file);
    } else if (first === file) {
      issues.push({
        code: ErrorCode.CONFIG_INVALID,
        path: cut(file, 300),
        message: `is selected twice (in ${origin}): got ${show(id)} twice; accepted: each config once. Fix: list it once.`,
      });
    } else {
      issues.push({
        code: ErrorCode.CONFIG_INVALID,
        path: cut(file, 300),
        message: `gives the stack name ${show(id)}, as ${cut(first, 300)} does (each stack is named after its file): got two configs named ${showKey(path.basename(file), 60)}; accepted: one config per stack name. Fix: rename one of the two files, e.g. to ${suggestedFileName(`${id}-2`)}.`,
      });
    }
  }
  if (issues.length > 0)
    throw new MlopsValidationError(`The configs selected by ${origin} cannot be synthesized (${issues.length} problem${issues.length === 1 ? '' : 's'}):`, issues);
  return files;
}

/** What a config file's stack is named (and what cdktf.out/stacks/ calls it): the file name without .yaml/.yml. */
export function configStackId(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

/**
 * The stack names a config file may give: cdktf refuses whitespace and glob
 * characters, and the name is a folder of cdktf.out/stacks/ (no "", ".", "..").
 */
const STACK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function suggestedFileName(id: string): string {
  const clean = id
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '');
  return clean ? `${cut(clean, 60)}.yaml` : '<env>-<cloud>.yaml (e.g. dev-aws.yaml)';
}

function availableNames(configDir: string): string {
  try {
    const names = fs
      .readdirSync(configDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    if (names.length === 0) return `the configs in ${configDir} (none yet)`;
    return names.length > 10 ? `${names.slice(0, 10).join(', ')} …` : names.join(', ');
  } catch {
    return `the configs in ${configDir}`;
  }
}

function selectionError(where: string, value: unknown, accepted: string, fix: string, what = 'names no config'): MlopsValidationError {
  return new MlopsValidationError('No stack config selected:', [
    { code: ErrorCode.CONFIG_INVALID, path: where, message: `${what}: got ${show(value)}; accepted: ${accepted}. Fix: ${fix}.` },
  ]);
}

function problem(pathText: string, value: unknown, accepted: string, fix: string, what = 'is invalid'): ValidationIssue {
  return {
    code: ErrorCode.CONFIG_INVALID,
    path: pathText,
    message: `${what}: got ${show(value)}; accepted: ${accepted}. Fix: ${fix}.`,
  };
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let cur: any = raw;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[seg as any];
  }
  return cur;
}

/** Config keys that were removed: path → what replaced them (the message of the error, with the fix). */
export const REMOVED_KEYS: Readonly<Record<string, string>> = {
  'deployment.retrainOnDrift':
    'was removed: retraining on drift is now a drift step in the pipeline file, so a scheduled run trains only when the training data is new (and, with psi, drifted) and skips otherwise, the same way locally and on every cloud. ' +
    'Fix: remove deployment.retrainOnDrift and add a step `uses: drift` with inputs {data: <what train reads>, model: "models:/<model>@champion"} and params {psi: "${params.psi}"} before the training steps, which then need it (training-image/src/pipeline/FORMAT.md); set the threshold with deployment.pipeline.params.psi.',
};

function fromZodIssue(issue: zcore.$ZodIssue, raw: unknown): ValidationIssue[] {
  const segs = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  // Keys are echoed cut: a 1 MB key must not come back whole.
  const where = segs.length ? segs.map((s) => showKey(s)).join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const parentPath = segs.join('.');
    const shownParent = segs.map((s) => showKey(s)).join('.');
    const known = CONFIG_FIELDS.filter((f) => {
      const parts = f.path.split('.');
      return parts.length === segs.length + 1 && parts.slice(0, -1).join('.') === parentPath;
    }).map((f) => f.path.split('.').pop()!);
    return issue.keys.map((key) => {
      const removed = REMOVED_KEYS[parentPath ? `${parentPath}.${key}` : key];
      if (removed) return { code: ErrorCode.CONFIG_INVALID, path: shownParent ? `${shownParent}.${showKey(key)}` : showKey(key), message: removed };
      const guess = closest(key, known);
      return {
        code: ErrorCode.CONFIG_INVALID,
        path: shownParent ? `${shownParent}.${showKey(key)}` : showKey(key),
        message: `is not a known key; accepted keys here: ${known.join(', ')}. Fix: ${guess ? `rename it to '${guess}'` : 'remove it'}.`,
      };
    });
  }
  const value = valueAt(raw, segs);
  const field = fieldAt(segs);
  const what = value === undefined ? 'is required' : 'is invalid';
  if (issue.code === 'invalid_union' && segs[0] === 'backend') {
    return [problem('backend.type', valueAt(raw, ['backend', 'type']), 'one of local, s3, azurerm, gcs', 'set backend.type', what)];
  }
  return [problem(where, value, field?.accepted ?? issue.message, field?.fix ?? issue.message, what)];
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  // No config key is longer than 64 characters: a longer one is no typo of any.
  if (word.length > 64) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  for (const c of candidates) {
    // The distance is at least the difference in length: a long key is no typo of a short one (and costs nothing).
    if (Math.abs(word.length - c.length) > limit) continue;
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The cross-field rules of `network:` and `deployers:`. */
function networkProblems(input: Record<string, any>): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const cloud = input.cloud;
  const network = input.network ?? {};
  const mode =
    typeof network.mode === 'string' && (NETWORK_MODES as readonly string[]).includes(network.mode) ? network.mode : network.mode === undefined ? 'firewalled' : undefined;
  if (network.existing !== undefined && network.existing !== null && typeof network.existing === 'object') {
    if (mode !== undefined && mode !== 'private') {
      out.push(
        problem(
          'network.existing',
          network.existing,
          'an existing network only in private mode',
          'set network.mode: private, or remove network.existing',
          `has no use in ${mode} mode`,
        ),
      );
    }
    for (const other of CLOUDS) {
      if (other !== cloud && network.existing[other] !== undefined && typeof cloud === 'string') {
        out.push(
          problem(
            `network.existing.${other}`,
            network.existing[other],
            `only network.existing.${cloud} while cloud is ${cloud}`,
            `move the network under network.existing.${cloud} or remove it`,
            'does not belong to the selected cloud',
          ),
        );
      }
    }
    if (mode === 'private' && typeof cloud === 'string' && network.existing[cloud] === undefined) {
      out.push(
        problem(
          `network.existing.${cloud}`,
          undefined,
          `the ${cloud} network when network.existing is given`,
          `add network.existing.${cloud}, or remove network.existing to let the stack create the network`,
          'is required',
        ),
      );
    }
  }
  if (network.addressSpace !== undefined) {
    const prefix = Number(String(network.addressSpace).split('/')[1]);
    if (typeof network.addressSpace === 'string' && /\//.test(network.addressSpace) && (prefix < 8 || prefix > 24)) {
      out.push(
        problem(
          'network.addressSpace',
          network.addressSpace,
          'an IPv4 CIDR from /8 to /24 (the platform needs room for its subnets)',
          'use a /16 such as 10.40.0.0/16',
          'is out of range',
        ),
      );
    }
    // On Azure in firewalled mode, a pipeline's serve step runs its promoter job in a network of its own,
    // the first /24 of the address space (lib/deploy/azure/promoter.ts).
    const promoterNetwork = cloud === 'azure' && mode === 'firewalled' && input.deployment?.pipeline !== undefined;
    if (mode !== undefined && mode !== 'private' && !promoterNetwork) {
      out.push(
        problem(
          'network.addressSpace',
          network.addressSpace,
          cloud === 'azure' && mode === 'firewalled'
            ? "an address space only in private mode, or in firewalled mode with deployment.pipeline (the first /24 is the network of the pipeline's promoter job)"
            : 'an address space only in private mode',
          'set network.mode: private, or remove network.addressSpace',
          `has no use in ${mode} mode`,
        ),
      );
    } else if (network.existing !== undefined) {
      out.push(
        problem(
          'network.addressSpace',
          network.addressSpace,
          'an address space only when the stack creates the network',
          'remove network.addressSpace (the existing network has its own)',
          'has no use with network.existing',
        ),
      );
    }
  }
  if (mode === 'public' && Array.isArray(network.allowedIpRanges) && network.allowedIpRanges.length > 0) {
    out.push(
      problem(
        'network.allowedIpRanges',
        network.allowedIpRanges,
        'ranges only in firewalled or private mode (public mode has no firewall to let them through)',
        'set network.mode: firewalled to keep the firewall, or remove the ranges',
        'has no use in public mode',
      ),
    );
  }
  if (typeof cloud === 'string' && cloud in DEPLOYER_FORMATS && Array.isArray(input.deployers)) {
    const format = DEPLOYER_FORMATS[cloud as keyof typeof DEPLOYER_FORMATS];
    input.deployers.forEach((d: unknown, i: number) => {
      if (typeof d === 'string' && !format.pattern.test(d)) {
        out.push(
          problem(
            `deployers.${i}`,
            d,
            `${format.accepted} on ${CLOUD_TITLES[cloud as keyof typeof CLOUD_TITLES]}`,
            `find yours with ${format.example}`,
            'is not a principal of the selected cloud',
          ),
        );
      }
    });
  }
  if (input.ci !== undefined && input.deployers === undefined) {
    out.push(
      problem(
        'deployers',
        undefined,
        'the principals that deploy by hand, listed explicitly while ci: is set',
        'list who runs the first deploy (and any later manual one), e.g. deployers: [<your object id / role ARN / user:email>]; CI is added by ci: itself',
        'is required with ci:',
      ),
    );
  }
  return out;
}

/** The registry hosts each cloud's ML service pulls a custom image from, for `deployment.image.uri`. */
const IMAGE_REGISTRY_HOSTS: Partial<Record<string, { readonly pattern: RegExp; readonly accepted: string }>> = {
  aws: {
    pattern: /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//,
    accepted: 'an Amazon ECR image (<account>.dkr.ecr.<region>.amazonaws.com/…): SageMaker runs training and hosting images from ECR',
  },
  gcp: {
    pattern: /^([a-z0-9-]+-docker\.pkg\.dev|([a-z]+\.)?gcr\.io)\//,
    accepted: "an Artifact Registry image (<region>-docker.pkg.dev/…) or gcr.io: Vertex AI runs custom containers from Google's registries",
  },
};

/** The cross-field rules of `deployment.image`: built or given, not both; a given image in a registry the cloud's ML service pulls from. */
function imageProblems(input: Record<string, any>): ValidationIssue[] {
  const image = input.deployment?.image;
  if (!image || typeof image !== 'object' || typeof image.uri !== 'string') return [];
  const out: ValidationIssue[] = [];
  if (image.platform !== undefined) {
    out.push(
      problem(
        'deployment.image.platform',
        image.platform,
        'a build platform only when the image is built (no deployment.image.uri)',
        'remove deployment.image.platform (the given image is used as is), or remove deployment.image.uri to build the image at deploy',
        'has no use with deployment.image.uri',
      ),
    );
  }
  const hosts = IMAGE_REGISTRY_HOSTS[input.cloud];
  if (hosts && IMAGE_URI_BY_DIGEST.test(image.uri) && !hosts.pattern.test(image.uri)) {
    out.push(
      problem(
        'deployment.image.uri',
        image.uri,
        hosts.accepted,
        `push the image to the platform's registry (stack output image_uri) and give that reference, pinned by digest`,
        `is not in a registry ${CLOUD_TITLES[input.cloud as keyof typeof CLOUD_TITLES]} pulls from`,
      ),
    );
  }
  return out;
}

/**
 * `deployment.training.upload` stays in the project (the file is copied into
 * cdktf.out and uploaded): a relative path without ".." unless
 * `uploadOutsideProject: true`. Symbolic links are checked at synth, where the
 * project root is known ({@link uploadSourceProblem}).
 */
function uploadProblems(input: Record<string, any>): ValidationIssue[] {
  const training = input.deployment?.training;
  if (!training || typeof training !== 'object') return [];
  const { upload, uploadOutsideProject } = training as { upload?: unknown; uploadOutsideProject?: unknown };
  if (uploadOutsideProject !== undefined && upload === undefined) {
    return [
      problem(
        'deployment.training.uploadOutsideProject',
        uploadOutsideProject,
        'uploadOutsideProject only together with upload',
        'remove uploadOutsideProject, or add the upload it is for',
        'has no use without upload',
      ),
    ];
  }
  if (typeof upload !== 'string' || uploadOutsideProject === true) return [];
  const leaves = isAbsoluteAnywhere(upload) ? 'is an absolute path' : upload.split(/[\\/]/).includes('..') ? 'has a ".." segment' : undefined;
  if (!leaves) return [];
  return [problem('deployment.training.upload', upload, UPLOAD_ACCEPTED, UPLOAD_FIX, `${leaves}, which may leave the project`)];
}

const UPLOAD_ACCEPTED = 'a file inside the project (the folder with cdktf.json), as a path relative to its root without ".." segments, e.g. examples/demand-forecast/data/hour.csv';
const UPLOAD_FIX =
  'copy the file into the project and give its path from the project root, or set deployment.training.uploadOutsideProject: true to upload a file from outside on purpose';

/** Absolute on POSIX or Windows (a drive, a UNC path), whatever the platform synth runs on. */
function isAbsoluteAnywhere(p: string): boolean {
  return path.posix.isAbsolute(p) || path.win32.isAbsolute(p) || /^[A-Za-z]:/.test(p);
}

/**
 * The problem with uploading `source` (the resolved `deployment.training.upload`)
 * from the project at `projectRoot`: none when the file, with every symbolic
 * link followed, is inside the project, or when `uploadOutsideProject` is true;
 * a missing file is left to the upload's own check.
 */
export function uploadSourceProblem(upload: string, source: string, projectRoot: string, uploadOutsideProject: boolean | undefined): ValidationIssue | undefined {
  if (uploadOutsideProject === true) return undefined;
  let real: string;
  let realRoot: string;
  try {
    real = fs.realpathSync(source);
    realRoot = fs.realpathSync(projectRoot);
  } catch {
    return undefined;
  }
  const rel = path.relative(realRoot, real);
  if (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)) return undefined;
  return problem(
    'deployment.training.upload',
    upload,
    UPLOAD_ACCEPTED,
    UPLOAD_FIX,
    `leaves the project through a symbolic link (it is ${cut(real, 200)}, outside ${cut(realRoot, 200)})`,
  );
}
