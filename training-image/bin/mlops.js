#!/usr/bin/env node
'use strict';
// The runtime CLI. Built output lives in dist/: the installed package has it (its prepack builds it);
// in a clone of the repository, `npm run build` at the root makes it.
// Every command but `serve` (and `release`, help) runs in a supervised child process, so that SIGTERM
// and Ctrl-C stop it at once and clean up what it was writing (dist/src/cli/supervise.js).
// Run as root with MLOPS_RUN_AS=<uid>:<gid> set (the image sets it), it first drops to that user, as the
// image's entrypoint does: a platform that runs `mlops …` itself (an Azure ML command job) gets the same.
const path = require('path');
const fs = require('fs');
const dist = path.join(__dirname, '..', 'dist', 'src', 'cli');
const entry = path.join(dist, 'main.js');
if (!fs.existsSync(entry)) {
  console.error(
    `mlops: the runtime is not built (${path.relative(process.cwd(), entry) || entry} is missing). In a clone of cdktf-mlops, run \`npm run build\` at its root; otherwise reinstall @cdktf-mlops/runtime.`,
  );
  process.exit(1);
}
const argv = process.argv.slice(2);
if (typeof process.getuid === 'function' && process.getuid() === 0 && process.env.MLOPS_RUN_AS) {
  try {
    const access = require(path.join(__dirname, '..', 'dist', 'src', 'contracts', 'access.js'));
    for (const line of access.dropRootPrivileges(argv[0] || '', process.env)) console.error(`mlops: ${line}`);
  } catch (e) {
    console.error(`mlops: ${e?.message}`);
    process.exit(2);
  }
}
const supervisor = require(path.join(dist, 'supervise.js'));
const run = supervisor.shouldSupervise(argv, process.env) ? supervisor.supervise(argv) : require(entry).main(argv);
run.then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err?.stack ? err.stack : String(err));
    process.exitCode = 1;
  },
);
