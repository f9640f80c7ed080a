/**
 * A scoring server started as a child process for the serving benchmarks
 * (`serve-bench.ts`, `serve-quick.ts`): resolved once it prints its ready line
 * (`mlops serve: ready on 127.0.0.1:N; local URL http://127.0.0.1:N`, or the
 * reference servers' `ready on http://127.0.0.1:N`), rejected when it exits
 * first or is not ready within `readyMs`.
 */
import { ChildProcess, spawn } from 'child_process';

/** A started server. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

const READY = /ready on (?:[^\n]*?; local URL )?(http:\/\/127\.0\.0\.1:\d+)/;

/** Starts `cmd args` and waits for its ready line; `onStderr` sees every chunk of its stderr (e.g. a memory log). */
export function startServer(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: { readonly readyMs?: number; readonly onStderr?: (chunk: Buffer) => void } = {},
): Promise<ServerProcess> {
  const readyMs = options.readyMs ?? 120_000;
  const child = spawn(cmd, [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not get ready in ${readyMs / 1000} s:\n${err}`));
    }, readyMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      options.onStderr?.(chunk);
      err += chunk;
      const m = READY.exec(err);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        child,
        url: m[1]!,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before it was ready:\n${err}`));
    });
  });
}
