/**
 * One layout for a trained model directory: `mlops train` and a pipeline's
 * train step write it through the same function (models/save.ts), so the
 * same data, settings and seed give the same files, manifest fields and
 * file contents (timings and the creation time aside).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { Io } from '../src/core/io';
import { runPipeline } from '../src/pipeline/runner';

const CONTRACT = `version: 1
target: y
columns:
  - { name: x1, type: number, nullable: false }
  - { name: x2, type: number }
  - { name: shop, type: string, allowed: [north, south, east] }
  - { name: y, type: number, nullable: false }
`;

function writeProject(dir: string): void {
  const rows = ['x1,x2,shop,y'];
  const shops = ['north', 'south', 'east'];
  for (let i = 0; i < 160; i++) {
    const x1 = ((i * 37) % 101) / 10,
      x2 = ((i * 53) % 89) / 9,
      s = shops[i % 3]!;
    rows.push(`${x1},${i % 17 === 0 ? '' : x2},${s},${(2 * x1 - 0.5 * x2 + (s === 'east' ? 3 : 0) + (((i * 7919) % 13) / 13 - 0.5)).toFixed(4)}`);
  }
  fs.writeFileSync(path.join(dir, 'data.csv'), rows.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'contract.yaml'), CONTRACT);
  fs.writeFileSync(
    path.join(dir, 'pipeline.yaml'),
    `version: 1
name: parity
inputs: { data: data.csv, contract: contract.yaml }
steps:
  - name: train
    uses: train
    inputs: { data: "\${inputs.data}", contract: "\${inputs.contract}" }
    params: { target: y, model: linear, seed: 3, tune: { trials: 4, sampler: random } }
`,
  );
}

const readJson = (dir: string, f: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;

/** `v` without measured durations (metrics.json `timings`, tuning.json trials' `durationMs`), which differ from one training to the next. */
function withoutTimes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimes);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => k !== 'timings' && k !== 'durationMs')
      .map(([k, x]) => [k, withoutTimes(x)]),
  );
}

/** A model directory's content with what legitimately differs between two trainings taken out: the creation time, the durations, and so every file's hash in the manifest (only their names are compared). */
function comparable(dir: string): { files: string[]; manifestKeys: string[]; listed: string[]; content: Record<string, unknown> } {
  const files = fs.readdirSync(dir).sort();
  const manifest = readJson(dir, 'manifest.json') as Record<string, unknown>;
  const content: Record<string, unknown> = {};
  for (const f of files) {
    if (f === 'manifest.json') continue;
    if (!f.endsWith('.json')) {
      content[f] = fs.readFileSync(path.join(dir, f), 'utf8');
      continue;
    }
    content[f] = withoutTimes(readJson(dir, f));
  }
  const { createdAt, files: listed, ...rest } = manifest as { createdAt: string; files: Record<string, string> };
  expect(typeof createdAt).toBe('string');
  content['manifest.json'] = rest;
  return { files, manifestKeys: Object.keys(manifest).sort(), listed: Object.keys(listed).sort(), content };
}

describe('a trained model directory has one layout', () => {
  test('mlops train and a one-step pipeline write the same files, manifest fields and contents', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-'));
    writeProject(dir);
    const data = path.join(dir, 'data.csv');

    const err: string[] = [];
    const io: Io = { out: () => undefined, err: (t) => void err.push(t) };
    const cliOut = path.join(dir, 'cli-model');
    const code = await main(
      [
        'train',
        '--data',
        data,
        '--contract',
        path.join(dir, 'contract.yaml'),
        '--target',
        'y',
        '--model',
        'linear',
        '--seed',
        '3',
        '--tune',
        '4',
        '--search',
        'random',
        '--out',
        cliOut,
      ],
      io,
    );
    expect({ code, err: code === 0 ? '' : err.join('\n') }).toEqual({ code: 0, err: '' });

    const r = await runPipeline(path.join(dir, 'pipeline.yaml'), { root: path.join(dir, '.mlops') });
    expect(r.run.error).toBeNull();
    const pipeOut = r.outputs.train!.model!;

    const cli = comparable(cliOut),
      pipe = comparable(pipeOut);
    expect(pipe.files).toEqual(cli.files);
    expect(pipe.manifestKeys).toEqual(cli.manifestKeys);
    expect(pipe.listed).toEqual(cli.listed);
    // Every file the CLI writes, with the manifest's other fields: nothing optional is left out by either path.
    expect(cli.files).toEqual([
      'contract.yaml',
      'feature_importance.json',
      'fingerprint.json',
      'manifest.json',
      'metrics.json',
      'model.json',
      'profile.json',
      'transforms.json',
      'tuning.json',
    ]);
    for (const f of Object.keys(cli.content)) expect({ file: f, content: pipe.content[f] }).toEqual({ file: f, content: cli.content[f] });
    expect(cli.content['fingerprint.json']).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), rows: 160, cols: 4, source: data, bytes: fs.statSync(data).size });
    expect((cli.content['tuning.json'] as { sampler: string }).sampler).toBe('random');
  });
});
