#!/usr/bin/env node
'use strict';
// The runtime CLI. Built output lives in dist/: the installed package has it (its prepack builds it);
// in a clone of the repository, `npm run build` at the root makes it.
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error(`mlops: the runtime is not built (${path.relative(process.cwd(), entry) || entry} is missing). In a clone of cdktf-mlops, run \`npm run build\` at its root; otherwise reinstall @cdktf-mlops/runtime.`);
  process.exit(1);
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exitCode = 1; },
);
