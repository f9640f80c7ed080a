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
// Signals: `serve` drains in-flight requests on SIGTERM by itself. For every
// other command this script handles SIGTERM/SIGINT (PID 1 would otherwise
// ignore them) and exits with 128 + the signal number.
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

const SIGNALS = { SIGTERM: 15, SIGINT: 2 };

function run(argv) {
  const [first, ...rest] = argv;
  let args;
  if (first === undefined) args = ['serve'];
  else if (first === 'mlops') args = rest.length ? rest : ['--help'];
  else args = argv;
  const cmd = args[0];
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') process.stdout.write(HELP + '\n');
  try {
    // Lets the HEALTHCHECK tell a training container (no HTTP server) from a serving one.
    fs.writeFileSync(path.join(os.tmpdir(), 'mlops-role'), `${cmd}\n`);
  } catch {
    /* a read-only /tmp only loses the marker */
  }
  if (cmd !== 'serve') {
    for (const [sig, n] of Object.entries(SIGNALS)) {
      process.once(sig, () => {
        process.stderr.write(`mlops ${cmd}: received ${sig}; stopping.\n`);
        process.exit(128 + n);
      });
    }
  }
  let cli;
  try {
    cli = require(path.join(APP_DIR, 'dist', 'src', 'cli', 'main.js'));
  } catch (e) {
    process.stderr.write(`entrypoint: cannot load the mlops CLI from ${APP_DIR}/dist (${e && e.message}). Build it with \`npm run build -w training-image\`.\n`);
    process.exitCode = 1;
    return;
  }
  cli.main(args).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

run(process.argv.slice(2));
