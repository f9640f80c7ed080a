#!/usr/bin/env node
'use strict';
// `mlops-release apply|destroy …` — the same as `mlops release …`.
let cli;
try {
  cli = require('../dist/src/cli');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    // An installed package always has dist/ (its prepack builds it); a clone of the repository needs a build.
    process.stderr.write(
      'mlops release: the release package is not built (dist/ is missing): in a clone of cdktf-mlops, run `npm run build` at its root; otherwise reinstall @cdktf-mlops/release.\n',
    );
    process.exit(2);
  }
  throw err;
}
cli.runRelease(process.argv.slice(2)).then((code) => process.exit(code));
