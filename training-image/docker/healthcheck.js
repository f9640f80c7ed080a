#!/usr/bin/env node
'use strict';
// HEALTHCHECK of the runtime image: GET /ping on the serving port.
// Exit 0 when it answers 200, 1 otherwise. A container started with `train`
// (no HTTP server; the entrypoint leaves a marker) is reported healthy.
// Port: MLOPS_PORT, SAGEMAKER_BIND_TO_PORT, AIP_HTTP_PORT (first set wins), else 8080 —
// the order `mlops serve` uses. MLOPS_HEALTHCHECK_PATH overrides the route.

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

let role = '';
try {
  role = fs.readFileSync(path.join(os.tmpdir(), 'mlops-role'), 'utf8').trim();
} catch {
  /* no marker: assume serving */
}
if (role && role !== 'serve') process.exit(0);

const env = process.env;
const port = Number(env.MLOPS_PORT || env.SAGEMAKER_BIND_TO_PORT || env.AIP_HTTP_PORT || 8080);
const route = env.MLOPS_HEALTHCHECK_PATH || '/ping';
const req = http.get({ host: '127.0.0.1', port, path: route, timeout: 3000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
