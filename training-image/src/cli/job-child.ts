/**
 * The process `mlops` supervises (see supervise.ts): runs one command of the
 * CLI and exits with its code. It installs no SIGTERM/SIGINT handler, so a
 * stop ends it at once, even while its main thread is blocked fitting trees.
 */
import { EXIT } from '../core/io';
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = EXIT.FAILED;
  },
);
