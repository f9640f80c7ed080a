#!/usr/bin/env node
'use strict';
// Container entrypoint of the cdktf-mlops runtime image.
//
// SageMaker starts the image as `<image> train` or `<image> serve`; Vertex AI
// and Azure ML run the image's default command (`serve`) or the job's own
// arguments (`train --data … --out …`). This script is the process the
// container runs (PID 1, no init wrapper that could swallow the argument): it
// hands its arguments to the `mlops` CLI in the same Node process.
//
//   <image> train [options]   → mlops train   (detects SageMaker / Vertex AI / Azure ML / local)
//   <image> serve [options]   → mlops serve   (SageMaker, Vertex AI, Azure ML and MLflow protocols)
//   <image> <command> …       → any other mlops command (validate, predict, evaluate, …)
//   <image>                   → serve
//   <image> --help            → this help and the CLI's
//
// Signals: `serve` drains in-flight requests on SIGTERM by itself, in this
// process. Every other command runs in a child process that this one
// supervises (dist/src/cli/supervise.js): a training job's main thread is
// blocked while it fits trees, so only a process that merely waits can answer
// SIGTERM at once (SageMaker StopTrainingJob, Vertex AI / Azure ML
// cancellation, `docker stop`). The child is stopped, what it was writing is
// cleaned up (no model is published, SageMaker's failure file says why), and
// the container exits with 128 + the signal number (143 for SIGTERM).
//
// User: started as root (SageMaker runs containers as root; its mounts may be
// root-owned) with MLOPS_RUN_AS=<uid>:<gid> set (the image sets 1000:1000),
// this script gives exactly the platform's output folders to that user for
// `train` and drops to it before anything else runs
// (dist/src/contracts/access.js; MLOPS_KEEP_ROOT=1 stays root). Started as a
// non-root user (`--user 1000`), or without MLOPS_RUN_AS, it changes nothing.
// MLOPS_APP_DIR overrides where the runtime lives (default: this file's parent).

const fs = require('fs');
const os = require('os');
const path = require('path');

const APP_DIR = process.env.MLOPS_APP_DIR || path.resolve(__dirname, '..');
const HELP = `Usage: <image> [train | serve | <mlops command>] [options]

The cdktf-mlops runtime image. With no command it runs \`serve\`.
  train   train a model under the platform's training contract (SageMaker, Vertex AI, Azure ML, local)
  serve   serve a model over HTTP on port 8080 (SAGEMAKER_BIND_TO_PORT, AIP_HTTP_PORT, MLOPS_PORT)
`;

function load(rel) {
  try {
    return require(path.join(APP_DIR, 'dist', 'src', rel));
  } catch (e) {
    process.stderr.write(`entrypoint: cannot load the mlops runtime from ${APP_DIR}/dist (${e?.message}). Build it with \`npm run build -w training-image\`.\n`);
    return null;
  }
}

function run(argv) {
  const [first, ...rest] = argv;
  let args;
  if (first === undefined) args = ['serve'];
  else if (first === 'mlops') args = rest.length ? rest : ['--help'];
  else args = argv;
  const cmd = args[0];
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') process.stdout.write(HELP + '\n');
  const access = load('contracts/access.js');
  const supervisor = access && load('cli/supervise.js');
  if (!supervisor) {
    process.exitCode = 1;
    return;
  }
  try {
    for (const line of access.dropRootPrivileges(cmd, process.env)) process.stderr.write(`entrypoint: ${line}\n`);
  } catch (e) {
    process.stderr.write(`entrypoint: ${e?.message}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    // Lets the HEALTHCHECK tell a training container (no HTTP server) from a serving one.
    fs.writeFileSync(path.join(os.tmpdir(), 'mlops-role'), `${cmd}\n`);
  } catch {
    /* a read-only /tmp only loses the marker */
  }
  let job;
  if (supervisor.shouldSupervise(args, process.env)) job = supervisor.supervise(args);
  else {
    const cli = load('cli/main.js');
    if (!cli) {
      process.exitCode = 1;
      return;
    }
    if (cmd !== 'serve') {
      // MLOPS_SUPERVISE=0: in this process. As PID 1 it would ignore signals without a handler;
      // this one runs only once the command yields (not while it fits trees).
      for (const [sig, n] of [
        ['SIGTERM', 15],
        ['SIGINT', 2],
      ]) {
        process.once(sig, () => {
          process.stderr.write(`mlops ${cmd}: received ${sig}; stopping.\n`);
          process.exit(128 + n);
        });
      }
    }
    job = cli.main(args);
  }
  job.then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${err?.stack ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

run(process.argv.slice(2));
