/**
 * The small program the compiled Vertex AI pipeline runs in the runtime image
 * besides `mlops pipeline step` (its Node, nothing downloaded): the promotion
 * steps (a guard against overlapping runs, the Model Registry upload, the
 * endpoint rollout) that call the Vertex AI REST API with the task's own
 * service-account token from the metadata server. `test/gcp-pipeline.test.ts`
 * runs it against a loopback server. (The gate's `passed` output parameter is
 * written by the gate step itself: its `passed` output.)
 */

/** The runtime image's entrypoint (training-image/Dockerfile `ENTRYPOINT`). */
export const RUNTIME_ENTRYPOINT = '/opt/mlops/docker/entrypoint.js';

/**
 * `node -e <this> <mode> <config json> <args…>`, the promotion of a run:
 * - `guard <job id>`: fails when an older run of the same pipeline (label
 *   `mlops_pipeline`) is still queued or running, so that of two overlapping
 *   runs only the older one registers and deploys;
 * - `upload <model dir gs:// URI> <model dir on /gcs> <job id> <output parameter file>`:
 *   uploads the model folder as a new version of the release's Vertex AI
 *   model (made the `default` version), served by the runtime image, with its
 *   lineage: the pipeline job (`pipelineJob`), the training data's URI and
 *   sha256 (the model folder's `fingerprint.json`), the image digest and the
 *   pipeline revision, as labels where a value fits a label (63 lowercase
 *   characters) and in full in the version description; writes
 *   `<model>@<version id>` to the output parameter;
 * - `deploy <model>@<version> <job id>`: deploys that version to the endpoint
 *   with all of the traffic once it is ready (Vertex AI switches only when
 *   the new deployment is healthy; a failed deployment leaves the endpoint as
 *   it was), then undeploys the release's earlier deployed models. The
 *   deployed model is named `<endpoint>-v<version id>-<job id>` and points at
 *   `<model>@<version id>`.
 * - `experiment <job id>`: records the run in the Vertex AI experiment
 *   `cfg.experiment` with the Metadata API calls the Vertex AI SDK makes for
 *   `PipelineJob.submit(experiment=…)`: the experiment is the metadata context
 *   `<experiment>` (schema `system.Experiment` 0.0.1, metadata
 *   `{experiment_deleted: false}`) in the `default` metadata store, created
 *   when missing; the run's own `system.PipelineRun` context
 *   (`jobDetail.pipelineRunContext`, polled until Vertex AI has created it)
 *   becomes its child (`:addContextChildren`). Experiments then list the run
 *   with its parameters and the metrics of its `system.Metrics` artifacts. Any
 *   failure is a warning in the task's log and exit 0: tracking never fails a run.
 * The config carries the API base URL and the metadata server URL, so the
 * same code runs against loopback servers in the tests.
 */
export const PROMOTE_SCRIPT = String.raw`'use strict';
const fs = require('fs');
const path = require('path');
const [mode, configText, ...args] = process.argv.slice(1);
const cfg = JSON.parse(configText);
const ACTIVE = ['PIPELINE_STATE_QUEUED', 'PIPELINE_STATE_PENDING', 'PIPELINE_STATE_RUNNING', 'PIPELINE_STATE_CANCELLING', 'PIPELINE_STATE_PAUSED'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (m) => console.error('promote: ' + m);
const label = (s) => String(s).toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);
let token;
async function auth() {
  if (token) return token;
  const res = await fetch(cfg.metadata + '/computeMetadata/v1/instance/service-accounts/default/token', { headers: { 'Metadata-Flavor': 'Google' } });
  if (!res.ok) throw new Error('metadata server token: HTTP ' + res.status);
  token = (await res.json()).access_token;
  return token;
}
async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { Authorization: 'Bearer ' + (await auth()), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(method + ' ' + url + ': HTTP ' + res.status + ' ' + text.slice(0, 2000));
  return text ? JSON.parse(text) : {};
}
async function wait(what, op) {
  const deadline = Date.now() + cfg.timeoutMinutes * 60000;
  while (!op.done) {
    if (Date.now() > deadline) throw new Error(what + ': operation ' + op.name + ' did not finish in ' + cfg.timeoutMinutes + ' minutes');
    await sleep(cfg.pollMs);
    op = await call('GET', cfg.api + '/' + op.name);
  }
  if (op.error) throw new Error(what + ' failed: ' + JSON.stringify(op.error));
  return op.response || {};
}
const parent = 'projects/' + cfg.project + '/locations/' + cfg.region;
async function guard(jobId) {
  const jobs = [];
  let page = '';
  do {
    const q = 'filter=' + encodeURIComponent('labels.mlops_pipeline="' + cfg.pipelineLabel + '"') + '&pageSize=100' + (page ? '&pageToken=' + encodeURIComponent(page) : '');
    const r = await call('GET', cfg.api + '/' + parent + '/pipelineJobs?' + q);
    jobs.push(...(r.pipelineJobs || []));
    page = r.nextPageToken || '';
  } while (page);
  const me = jobs.find((j) => j.name.endsWith('/pipelineJobs/' + jobId));
  if (!me) throw new Error('this run (' + jobId + ') is not among the pipeline jobs labelled mlops_pipeline=' + cfg.pipelineLabel);
  const t = (j) => Date.parse(j.createTime);
  const older = jobs.filter((j) => j.name !== me.name && ACTIVE.includes(j.state) && (t(j) < t(me) || (t(j) === t(me) && j.name < me.name)));
  if (older.length) {
    log('an older run is still active: ' + older.map((j) => j.name + ' (' + j.state + ')').join(', ') + '; this run registers and deploys nothing. Start it again when that run has finished.');
    process.exit(1);
  }
  log('no older run is active; this run may register and deploy');
}
/** The training data of a model folder (fingerprint.json): its sha256 and gs:// URI (the /gcs mount path mapped back). */
function trainingData(localDir) {
  const file = path.join(localDir, 'fingerprint.json');
  let fp;
  try {
    fp = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error('the model folder has no readable ' + file + ' (' + (e && e.message) + '): the model version cannot record its training data');
  }
  if (typeof fp.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(fp.sha256)) throw new Error(file + ': no sha256 of the training data');
  // A folder written by an older runtime may not name its source: the hash alone still identifies the data.
  const uri = typeof fp.source === 'string' && fp.source ? fp.source.replace(/^\/gcs\//, 'gs://') : 'its source is not recorded in the model folder';
  return { sha256: fp.sha256, uri };
}
async function upload(modelDir, localDir, jobId, outFile) {
  const data = trainingData(localDir);
  const digest = (/@sha256:([0-9a-f]{64})$/.exec(cfg.image) || [])[1];
  if (!digest) throw new Error('the serving image ' + cfg.image + ' is not pinned by digest');
  const job = parent + '/pipelineJobs/' + jobId;
  const exists = await fetch(cfg.api + '/' + cfg.model, { headers: { Authorization: 'Bearer ' + (await auth()) } });
  if (!exists.ok && exists.status !== 404) throw new Error('GET ' + cfg.model + ': HTTP ' + exists.status + ' ' + (await exists.text()).slice(0, 2000));
  const body = {
    ...(exists.ok ? { parentModel: cfg.model } : { modelId: cfg.model.split('/').pop() }),
    serviceAccount: cfg.serviceAccount,
    model: {
      displayName: cfg.displayName,
      description: cfg.description,
      versionAliases: ['default'],
      versionDescription:
        'Trained by Vertex AI pipeline job ' + job + ' (pipeline ' + cfg.pipelineLabel + ', revision ' + cfg.pipelineRevision + '). ' +
        'Data: ' + data.uri + ' (sha256 ' + data.sha256 + '). Image: ' + cfg.image + '.',
      pipelineJob: job,
      labels: Object.assign({}, cfg.labels, {
        mlops_pipeline_job: label(jobId),
        mlops_pipeline_rev: label(cfg.pipelineRevision),
        mlops_data_sha256_12: data.sha256.slice(0, 12),
        mlops_image_sha256_12: digest.slice(0, 12),
      }),
      artifactUri: modelDir,
      containerSpec: {
        imageUri: cfg.image,
        args: ['serve'],
        env: [{ name: 'MLOPS_MODEL_NAME', value: cfg.modelName }, { name: 'MLOPS_MODEL_VERSION', value: label(jobId) }],
        ports: [{ containerPort: cfg.port }],
        predictRoute: cfg.predictRoute,
        healthRoute: cfg.healthRoute,
      },
      encryptionSpec: { kmsKeyName: cfg.kmsKeyName },
    },
  };
  log('upload ' + modelDir + ' as a new version of ' + cfg.model);
  const op = await call('POST', cfg.api + '/' + parent + '/models:upload', body);
  const res = await wait('upload of ' + modelDir, op);
  const ref = (res.model || cfg.model) + '@' + res.modelVersionId;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, ref);
  log('registered ' + ref);
}
async function deploy(ref, jobId) {
  const before = await call('GET', cfg.api + '/' + cfg.endpoint);
  const modelId = (m) => (/\/models\/([^/@]+)/.exec(m || '') || [])[1];
  const mine = modelId(cfg.model);
  const machineSpec = Object.assign({ machineType: cfg.machineType }, cfg.accelerator ? { acceleratorType: cfg.accelerator.type, acceleratorCount: cfg.accelerator.count } : {});
  log('deploy ' + ref + ' to ' + cfg.endpoint + ' (' + cfg.machineType + ', ' + cfg.minReplicas + '-' + cfg.maxReplicas + ' replicas, all traffic when ready)');
  const op = await call('POST', cfg.api + '/' + cfg.endpoint + ':deployModel', {
    deployedModel: {
      model: ref,
      displayName: (cfg.endpointName + '-v' + (ref.split('@')[1] || '') + '-' + label(jobId)).slice(0, 128),
      serviceAccount: cfg.serviceAccount,
      dedicatedResources: { machineSpec, minReplicaCount: cfg.minReplicas, maxReplicaCount: cfg.maxReplicas },
    },
    trafficSplit: { 0: 100 },
  });
  const res = await wait('deployment of ' + ref, op);
  const id = res.deployedModel && res.deployedModel.id;
  log('deployed model ' + id + ' serves all traffic');
  for (const d of before.deployedModels || []) {
    if (d.id === id || modelId(d.model) !== mine) continue;
    log('undeploy the earlier deployed model ' + d.id + ' (' + (d.displayName || '') + ')');
    await wait('undeploy of ' + d.id, await call('POST', cfg.api + '/' + cfg.endpoint + ':undeployModel', { deployedModelId: d.id }));
  }
}
const EXPERIMENT_SCHEMA = { schemaTitle: 'system.Experiment', schemaVersion: '0.0.1' };
async function experiment(jobId) {
  try {
    const deadline = Date.now() + cfg.timeoutMinutes * 60000;
    let runContext = '';
    for (;;) {
      const job = await call('GET', cfg.api + '/' + parent + '/pipelineJobs/' + jobId);
      runContext = (job.jobDetail && job.jobDetail.pipelineRunContext && job.jobDetail.pipelineRunContext.name) || '';
      if (runContext) break;
      if (Date.now() > deadline) throw new Error('the run context of ' + jobId + ' did not appear in ' + cfg.timeoutMinutes + ' minutes');
      await sleep(cfg.pollMs);
    }
    const store = parent + '/metadataStores/default';
    const name = store + '/contexts/' + cfg.experiment;
    let ctx = null;
    try {
      ctx = await call('GET', cfg.api + '/' + name);
    } catch (e) {
      if (!/HTTP 404/.test(e.message)) throw e;
    }
    if (!ctx) {
      log('create the experiment ' + cfg.experiment);
      try {
        ctx = await call('POST', cfg.api + '/' + store + '/contexts?contextId=' + encodeURIComponent(cfg.experiment), {
          displayName: cfg.experiment,
          ...EXPERIMENT_SCHEMA,
          metadata: { experiment_deleted: false },
        });
      } catch (e) {
        // Another run created it meanwhile.
        if (!/HTTP 409/.test(e.message)) throw e;
        ctx = await call('GET', cfg.api + '/' + name);
      }
    }
    if (ctx.schemaTitle !== EXPERIMENT_SCHEMA.schemaTitle) throw new Error(name + ' is a ' + ctx.schemaTitle + ' context, not an experiment; rename one');
    await call('POST', cfg.api + '/' + name + ':addContextChildren', { childContexts: [runContext] });
    log('run ' + jobId + ' recorded in the experiment ' + cfg.experiment + ' (' + runContext + ')');
  } catch (e) {
    log('warning: run ' + jobId + ' is not recorded in the experiment ' + cfg.experiment + ': ' + (e && e.message ? e.message : String(e)));
  }
}
const run = { guard, upload, deploy, experiment }[mode];
if (!run) {
  console.error('promote: unknown mode ' + JSON.stringify(mode) + ' (guard, upload, deploy, experiment)');
  process.exit(2);
}
run(...args).catch((e) => {
  console.error('promote: ' + (e && e.message ? e.message : String(e)));
  process.exit(1);
});
`;
