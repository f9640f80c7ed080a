import * as fs from 'fs';
import { PromoteSource, ReleaseContext, ReleaseError, ReleaseReport } from './driver';
import { driverFor } from './drivers';
import { RELEASE_SPEC_ENV, ReleaseSpec, ReleaseSpecError, parseSpec } from './spec';

export const USAGE = `usage: mlops release <apply|destroy|start|promote> [--spec <file.json> | --spec-env <VAR>] [--run <run> | --from-queue] [--json]

  apply     run the release step the spec describes (idempotent create-or-update;
            waits for long-running operations)
  destroy   remove what apply created for this spec
  start     run a pipeline spec's pipeline once, now (kind pipeline)
  promote   after a pipeline run (azure; the endpoint's spec with azure.promote): register the
            champion the run promoted, with its lineage, and roll it out to the endpoint
  --run        promote: the run of the pipeline's register node
  --from-queue promote: take the run from the next event on the promotions queue (the promoter job)
  --spec       read the spec from a JSON file
  --spec-env   read the spec from an environment variable (default MLOPS_RELEASE_SPEC,
               which is what the stack's terraform_data step sets)
  --json       print the report as JSON on stdout

Credentials come from the environment: the AWS default chain, DefaultAzureCredential
(managed identity, az login, GitHub OIDC), Google Application Default Credentials.
Exit codes: 0 done, 1 the release failed, 2 bad usage or spec.`;

/** Where the command writes; tests capture both and make waiting instant. */
export interface ReleaseIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const defaultIo: ReleaseIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

/** Runs `mlops release …`; resolves to the exit code. */
export async function runRelease(argv: readonly string[], io: ReleaseIo = defaultIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr(`mlops release: ${message}\n\n${USAGE}\n`);
    return 2;
  };
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'apply' && command !== 'destroy' && command !== 'start' && command !== 'promote')
    return usage(`unknown command ${JSON.stringify(command)}: use apply, destroy, start or promote`);

  let specFile: string | undefined;
  let specEnv: string | undefined;
  let json = false;
  let run: string | undefined;
  let fromQueue = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? rest[++i];
    if (flag === '--spec') specFile = value();
    else if (flag === '--spec-env') specEnv = value();
    else if (flag === '--json') json = true;
    else if (flag === '--run' && command === 'promote') run = value();
    else if (flag === '--from-queue' && command === 'promote') fromQueue = true;
    else return usage(`unknown argument ${JSON.stringify(arg)}`);
    if ((flag === '--spec' && !specFile) || (flag === '--spec-env' && !specEnv) || (flag === '--run' && !run)) return usage(`${flag} needs a value`);
  }
  if (specFile && specEnv) return usage('give --spec or --spec-env, not both');
  if (command === 'promote' && (run === undefined) === !fromQueue) return usage('promote needs --run <run of the register node> or --from-queue, not both');

  let text: string;
  if (specFile) {
    try {
      text = fs.readFileSync(specFile, 'utf8');
    } catch (err) {
      return usage(`cannot read --spec ${JSON.stringify(specFile)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    const variable = specEnv ?? RELEASE_SPEC_ENV;
    const value = io.env[variable];
    if (!value) return usage(`environment variable ${variable} is not set: pass --spec <file.json> or set ${variable} to the spec JSON`);
    text = value;
  }

  let spec: ReleaseSpec;
  try {
    spec = parseSpec(text);
  } catch (err) {
    if (err instanceof ReleaseSpecError) {
      io.stderr(`mlops release: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const started = (io.now ?? Date.now)();
  const stamp = (): string => `[${(((io.now ?? Date.now)() - started) / 1000).toFixed(1).padStart(6)}s]`;
  const ctx: ReleaseContext = {
    env: io.env,
    log: {
      info: (m) => io.stderr(`${stamp()} ${m}\n`),
      warn: (m) => io.stderr(`${stamp()} warning: ${m}\n`),
    },
    sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now: io.now ?? Date.now,
  };
  ctx.log.info(`${command} ${spec.kind} step of release ${spec.name} (revision ${spec.revision}) on ${spec.cloud}`);
  try {
    const driver = driverFor(spec.cloud);
    if ((command === 'start' && !driver.start) || (command === 'promote' && !driver.promote)) {
      io.stderr(
        `mlops release: ${command} runs on azure; the ${spec.cloud} pipeline ${command === 'start' ? 'runs' : 'registers and deploys'} on its engine (see docs/pipelines/${spec.cloud}.md)\n`,
      );
      return 2;
    }
    const from: PromoteSource = run !== undefined ? { run } : { fromQueue: true };
    const report = command === 'start' ? await driver.start!(spec, ctx) : command === 'promote' ? await driver.promote!(spec, ctx, from) : await driver[command](spec, ctx);
    io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(command, spec, report));
    return 0;
  } catch (err) {
    if (err instanceof ReleaseSpecError) {
      io.stderr(`mlops release: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ReleaseError) {
      io.stderr(`mlops release: ${command} failed [${err.code}]: ${err.message}\n`);
      return 1;
    }
    io.stderr(`mlops release: ${command} failed: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

/** The summary a person reads at the end. */
export function formatReport(command: string, spec: ReleaseSpec, report: ReleaseReport): string {
  const lines = [`release ${spec.name} ${spec.kind} ${command}: ${report.actions.length} action(s)`];
  const width = Math.max(0, ...report.actions.map((a) => a.action.length));
  for (const a of report.actions) lines.push(`  ${a.action.padEnd(width)}  ${a.what} ${a.id}${a.detail ? ` (${a.detail})` : ''}`);
  const outputs = Object.entries(report.outputs);
  if (outputs.length > 0) {
    lines.push('outputs:');
    for (const [k, v] of outputs) lines.push(`  ${k} = ${v}`);
  }
  return `${lines.join('\n')}\n`;
}
