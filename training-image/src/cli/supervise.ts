import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { detectTrainingContract, sageMakerRoot } from '../contracts/detect';
import { EXIT } from '../core/io';
import { JOB_ENV, JournalEntry, readJournal } from '../core/job';
import { show } from '../core/text';

/**
 * `mlops <command>` as a supervisor: the command runs in a child process and
 * this process only waits, so SIGTERM and SIGINT are handled at once even
 * while the child's main thread is blocked fitting trees (SageMaker
 * StopTrainingJob, Vertex AI and Azure ML cancellation, `docker stop`, Ctrl-C).
 *
 * On the first SIGTERM/SIGINT the signal is passed on to the child, which
 * ends at once (it keeps the default disposition), except inside a short
 * publishing step (`commit` in core/job.ts), which the supervisor lets finish
 * before it signals again. A child still alive after the grace period
 * (`MLOPS_STOP_GRACE_MS`, default 10000) is killed with SIGKILL; a second
 * signal kills it at once. Then the supervisor undoes what the child left
 * half done, from its journal (temporary folders, partly copied model files,
 * a registry version without its version.json, a pipeline run still marked
 * running), writes SageMaker's failure file for `train`, and exits with
 * 128 + the signal number: 143 for SIGTERM, 130 for SIGINT.
 *
 * `serve` is not supervised: it drains its connections on SIGTERM by itself.
 */

/** Commands that run in the `mlops` process itself. */
export const UNSUPERVISED_COMMANDS: readonly string[] = ['serve', 'release', 'help', '--help', '-h'];

/** Whether `mlops <argv>` runs its command in a supervised child (`MLOPS_SUPERVISE=0` turns it off). */
export function shouldSupervise(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const cmd = argv[0];
  if (cmd === undefined || UNSUPERVISED_COMMANDS.includes(cmd)) return false;
  return !['0', 'false', 'no'].includes((env.MLOPS_SUPERVISE ?? '').trim().toLowerCase());
}

/** Options of {@link supervise}. */
export interface SuperviseOptions {
  /** Environment of the job. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the supervisor's own lines go. @default stderr */
  readonly log?: (line: string) => void;
  /** The script the child runs with the arguments. @default the compiled job-child.js next to this file */
  readonly childScript?: string;
}

/** Default grace period between the stop signal and SIGKILL, in ms. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function signo(sig: NodeJS.Signals): number {
  return (os.constants.signals as Record<string, number>)[sig] ?? 0;
}

function graceMs(env: NodeJS.ProcessEnv, log: (l: string) => void): number {
  const raw = env.MLOPS_STOP_GRACE_MS;
  if (raw === undefined || raw === '') return DEFAULT_STOP_GRACE_MS;
  const n = Number(raw);
  if (Number.isFinite(n) && n >= 0) return n;
  log(`mlops: MLOPS_STOP_GRACE_MS must be a number of milliseconds ≥ 0; got ${show(raw)}. Using ${DEFAULT_STOP_GRACE_MS}.`);
  return DEFAULT_STOP_GRACE_MS;
}

/**
 * Runs `mlops <argv>` in a child process under supervision (see the module
 * comment); resolves with the exit code to use.
 */
export function supervise(argv: readonly string[], o: SuperviseOptions = {}): Promise<number> {
  const env = o.env ?? process.env;
  const log = o.log ?? ((l: string) => void process.stderr.write(l.endsWith('\n') ? l : `${l}\n`));
  const label = `mlops ${argv[0] ?? ''}`.trim();
  const grace = graceMs(env, log);
  const t0 = Date.now();

  let jobDir: string | null = null;
  try {
    jobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-job-'));
    fs.mkdirSync(path.join(jobDir, 'tmp'));
  } catch (e) {
    log(
      `${label}: cannot create a job folder in ${os.tmpdir()} (${(e as Error).message}); a stopped job cannot be cleaned up. Make it writable (docker run --tmpfs /tmp) or set TMPDIR to a writable folder.`,
    );
    jobDir = null;
  }
  const journal = jobDir ? path.join(jobDir, 'journal') : null;
  const childEnv: NodeJS.ProcessEnv = { ...env };
  if (jobDir) {
    // The child's temporary files live in the job folder, removed with it whatever happens to the child.
    childEnv.TMPDIR = path.join(jobDir, 'tmp');
    childEnv[JOB_ENV.journal] = journal!;
    childEnv[JOB_ENV.parent] = String(process.pid);
  }
  const script = o.childScript ?? path.join(__dirname, 'job-child.js');

  return new Promise<number>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...process.execArgv, script, ...argv], { stdio: 'inherit', env: childEnv });
    } catch (e) {
      log(`${label}: cannot start the job process (${(e as Error).message}).`);
      if (jobDir) fs.rmSync(jobDir, { recursive: true, force: true });
      resolve(EXIT.FAILED);
      return;
    }
    let stopping: NodeJS.Signals | null = null;
    let stopAt = 0;
    let killedByUs = false;
    let timer: NodeJS.Timeout | null = null;
    let exited = false;

    const inCommit = (): string | null => {
      if (!journal) return null;
      const c = readJournal(journal).open.find((e) => e.op === 'commit');
      return c && c.op === 'commit' ? c.what : null;
    };
    const tick = (): void => {
      timer = null;
      if (exited || !stopping) return;
      if (Date.now() - stopAt >= grace) {
        log(`${label}: the job did not stop within ${grace} ms of ${stopping}; killing it (SIGKILL).`);
        killedByUs = true;
        child.kill('SIGKILL');
        return;
      }
      // Inside a publishing step the child ignores the signal; it is sent again once the step is over.
      if (!inCommit()) child.kill(stopping);
      timer = setTimeout(tick, 50);
    };
    const onSignal = (sig: NodeJS.Signals): void => {
      if (exited) return;
      if (stopping) {
        log(`${label}: ${sig} again; killing the job now (SIGKILL).`);
        killedByUs = true;
        child.kill('SIGKILL');
        return;
      }
      stopping = sig;
      stopAt = Date.now();
      const step = inCommit();
      log(`${label}: ${sig} received; stopping the job${step ? ` once it has finished writing the ${step}` : ''}…`);
      tick();
    };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);

    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (exited) return;
      exited = true;
      if (timer) clearTimeout(timer);
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      const dead = signal !== null;
      const stopped = stopping !== null && (dead || code === 128 + signo(stopping));
      const reason = stopped
        ? `stopped by ${stopping}`
        : dead
          ? `killed by ${signal}${signal === 'SIGKILL' ? ' (the kernel sends SIGKILL when the container runs out of memory)' : ''}`
          : null;
      const { published, actions } = journal ? cleanUp(journal, reason ?? `ended with exit code ${code}`, log) : { published: [], actions: [] };
      if (jobDir) fs.rmSync(jobDir, { recursive: true, force: true });
      let exitCode = code ?? EXIT.FAILED;
      if (stopped) exitCode = 128 + signo(stopping!);
      else if (dead) exitCode = 128 + signo(signal!);
      if (reason) {
        const secs = ((Date.now() - t0) / 1000).toFixed(1);
        const what = published.length
          ? `The job had already published: ${published.join('; ')}.`
          : `Nothing was published${argv[0] === 'train' ? ' (no model was written to the output)' : ''}.`;
        const msg = `${label}: ${reason}${killedByUs && stopped ? ' (SIGKILL after the grace period)' : ''} after ${secs} s. ${what}${actions.length ? ` Cleaned up: ${actions.join('; ')}.` : ''}`;
        log(msg);
        if (argv[0] === 'train') writeSageMakerFailure(env, msg, log);
      }
      resolve(exitCode);
    };
    child.on('exit', finish);
    child.on('error', (e) => {
      log(`${label}: the job process failed to start: ${e.message}`);
      finish(1, null);
    });
  });
}

/**
 * Undoes what a job left open in its journal, newest first; returns the
 * publishing steps it had completed and what was cleaned up.
 */
export function cleanUp(journal: string, reason: string, log: (l: string) => void = () => undefined): { published: string[]; actions: string[] } {
  const { entries, open } = readJournal(journal);
  const openIds = new Set(open.map((e) => e.id));
  const published = entries.filter((e): e is Extract<JournalEntry, { op: 'commit' }> => e.op === 'commit' && !openIds.has(e.id)).map((e) => e.what);
  const actions: string[] = [];
  for (const e of [...open].reverse()) {
    try {
      switch (e.op) {
        case 'scratch':
          if (fs.existsSync(e.path)) {
            fs.rmSync(e.path, { recursive: true, force: true });
            actions.push(`removed ${e.path}`);
          }
          break;
        case 'files': {
          let n = 0;
          for (const name of e.names) {
            const p = path.join(e.dir, name);
            if (fs.existsSync(p)) {
              fs.rmSync(p, { force: true });
              n++;
            }
          }
          if (n) actions.push(`removed ${n} partly published file(s) from ${e.dir}`);
          break;
        }
        case 'restore':
          if (!fs.existsSync(e.to) && fs.existsSync(e.from)) {
            fs.renameSync(e.from, e.to);
            actions.push(`put the previous ${e.to} back`);
          }
          break;
        case 'run':
          if (markRunEnded(e.file, reason)) actions.push(`marked the pipeline run ${path.basename(path.dirname(e.file))} failed`);
          break;
        case 'commit':
          break;
      }
    } catch (err) {
      log(`mlops: clean-up of ${JSON.stringify(e)} failed: ${(err as Error).message}`);
    }
  }
  return { published, actions };
}

/** Marks a pipeline run record that still says `running` as failed, with the reason; returns whether it changed it. */
function markRunEnded(file: string, reason: string): boolean {
  if (!fs.existsSync(file)) return false;
  const run = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    status: string;
    startedAt?: string;
    finishedAt?: string | null;
    durationMs?: number | null;
    error?: unknown;
    steps?: { name: string; status: string; error?: unknown }[];
  };
  if (run.status !== 'running') return false;
  const now = new Date();
  const stopped = reason.startsWith('stopped');
  const running = run.steps?.find((s) => s.status === 'running');
  const error = {
    code: stopped ? 'STOPPED' : 'ABORTED',
    path: running ? `steps.${running.name}` : 'run',
    message: `the run's process was ${reason}${running ? ` during step '${running.name}'` : ''}; nothing after that step ran.`,
  };
  for (const s of run.steps ?? []) {
    if (s.status === 'running') {
      s.status = 'failed';
      s.error = error;
    }
  }
  run.status = 'failed';
  run.error = error;
  run.finishedAt = now.toISOString();
  if (run.startedAt) run.durationMs = now.getTime() - Date.parse(run.startedAt);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(run, null, 1) + '\n');
  fs.renameSync(tmp, file);
  return true;
}

/** Under the SageMaker training contract, writes the reason to `/opt/ml/output/failure` (what the console shows). */
function writeSageMakerFailure(env: NodeJS.ProcessEnv, reason: string, log: (l: string) => void): void {
  let contract: string;
  try {
    contract = detectTrainingContract(env).contract;
  } catch {
    return;
  }
  if (contract !== 'sagemaker') return;
  const file = path.join(sageMakerRoot(env), 'output', 'failure');
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${reason}\n`);
    log(`failure reason written to ${file}`);
  } catch (e) {
    log(`could not write ${file}: ${(e as Error).message}`);
  }
}
