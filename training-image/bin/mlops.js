#!/usr/bin/env node
'use strict';
// The runtime CLI. Built output lives in dist/; `npm run build -w training-image` makes it.
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exitCode = 1; },
);
