#!/usr/bin/env node
'use strict';
// The runtime CLI. Built output lives in dist/: `npm run build` (at the repository root) makes it.
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error(`mlops: the runtime is not built (${path.relative(process.cwd(), entry) || entry} is missing). Run \`npm run build\` at the repository root first.`);
  process.exit(1);
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exitCode = 1; },
);
