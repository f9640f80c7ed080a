/**
 * What a command talks through, and how it ends: the output streams and the
 * exit codes every `mlops` command (and the training contracts that run
 * them) share.
 */

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout/stderr. */
export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Exit codes: 0 done, 1 failed, 2 a usage error (a stopped job exits 128 + the signal number, see cli/supervise.ts). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** A command: argv in, exit code out. */
export type Command = (argv: string[], io: Io) => Promise<number>;
