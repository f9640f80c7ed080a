#!/usr/bin/env node
'use strict';
// `mlops-release apply|destroy …` — the same as `mlops release …`.
let cli;
try {
  cli = require('../dist/src/cli');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('mlops release: the release package is not built: run `npm run build` in the repository root.\n');
    process.exit(2);
  }
  throw err;
}
cli.runRelease(process.argv.slice(2)).then((code) => process.exit(code));
