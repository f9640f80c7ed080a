/**
 * Where the benchmark and parity datasets are: the one lookup the benchmarks
 * (bench:ml, bench:serve, serve-quick) and the tests use.
 *
 * First the project's shared data folder — `../shared/data` next to the
 * repository, or the folder `MLOPS_SHARED_DATA_DIR` names — then the copies
 * shipped in this repository under `examples/<example>/data/` (byte-identical
 * to the shared files, see shared/data/README.md). A candidate is used only
 * when it is the expected data: its header line and its number of data rows
 * are checked first. A clean clone has no `../shared`; the shipped copies
 * make every benchmark and parity check runnable there.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The environment variable that overrides the shared data folder. */
export const SHARED_DATA_ENV = 'MLOPS_SHARED_DATA_DIR';

/** A dataset: its path in the shared folder, its copy in this repository, and what it must look like. */
export interface DatasetSpec {
  /** Path under the shared data folder. */
  readonly shared: string;
  /** Path of the shipped copy, from the repository root. */
  readonly shipped: string;
  /** The header line, exactly. */
  readonly header: string;
  /** Data rows (header excluded). */
  readonly rows: number;
  /** sha256 of the published file (shared/data/README.md); the tests check the shipped copy against it. */
  readonly sha256: string;
}

/** The datasets (figures from shared/data/README.md). */
export const DATASETS = {
  /** UCI Bike Sharing, hourly. */
  bikeHour: {
    shared: 'bike-sharing/hour.csv',
    shipped: 'examples/demand-forecast/data/hour.csv',
    header: 'instant,dteday,season,yr,mnth,hr,holiday,weekday,workingday,weathersit,temp,atemp,hum,windspeed,casual,registered,cnt',
    rows: 17379,
    sha256: 'b03a2d02e8c10f435c43c7f0b358b7e34a003afea53dbc37f0183f2763295133',
  },
  /** IBM Telco customer churn. */
  telcoChurn: {
    shared: 'telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv',
    shipped: 'examples/churn/data/WA_Fn-UseC_-Telco-Customer-Churn.csv',
    header:
      'customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn',
    rows: 7043,
    sha256: '16320c9c1ec72448db59aa0a26a0b95401046bef5d02fd3aeb906448e3055e91',
  },
  /** ETT-small, transformer 1, hourly (CC BY-ND 4.0: read as is, derive in memory only). */
  ettH1: {
    shared: 'ett/ETTh1.csv',
    shipped: 'examples/transformer-overload/data/ETTh1.csv',
    header: 'date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT',
    rows: 17420,
    sha256: 'f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066',
  },
} as const satisfies Record<string, DatasetSpec>;

/** A dataset's name. */
export type DatasetName = keyof typeof DATASETS;

/** The result of a lookup: the file, or why there is none. */
export type DatasetLookup =
  | { readonly file: string; readonly source: 'shared' | 'examples'; readonly reason: null /** Candidates passed over, and why. */; readonly passedOver: readonly string[] }
  | { readonly file: null; readonly source: null; readonly reason: string; readonly passedOver: readonly string[] };

/** Options of {@link findDataset}. */
export interface FindDatasetOptions {
  /** Environment (for MLOPS_SHARED_DATA_DIR). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Repository root (holding examples/ and training-image/). @default found from this file's location */
  readonly repoRoot?: string;
}

/** The repository root: the nearest folder above this file holding both `examples/` and `training-image/`. */
export function repoRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'examples')) && fs.existsSync(path.join(dir, 'training-image', 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no repository root (a folder with examples/ and training-image/) above ${from}`);
    dir = up;
  }
}

/** The shared data folder: MLOPS_SHARED_DATA_DIR, else `shared/data` beside the repository. */
export function sharedDataDir(env: NodeJS.ProcessEnv = process.env, root: string = repoRoot()): string {
  const v = env[SHARED_DATA_ENV];
  return v?.trim() ? path.resolve(v) : path.resolve(root, '..', 'shared', 'data');
}

const checked = new Map<string, string | null>();

/** Null when `file` has the dataset's header line and row count, else what is wrong (cached per file, size and time). */
export function checkDataset(file: string, spec: DatasetSpec): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return `${file} does not exist`;
  }
  if (!st.isFile()) return `${file} is not a file`;
  const key = `${file}\0${st.size}\0${st.mtimeMs}\0${spec.header}\0${spec.rows}`;
  const hit = checked.get(key);
  if (hit !== undefined) return hit;
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = (lines[0] ?? '').replace(/\r$/, '');
  let problem: string | null = null;
  if (header !== spec.header) problem = `${file} has the header ${JSON.stringify(header.slice(0, 120))}, not the expected ${JSON.stringify(spec.header.slice(0, 120))}`;
  else if (lines.length - 1 !== spec.rows) problem = `${file} has ${lines.length - 1} data rows, not the expected ${spec.rows}`;
  checked.set(key, problem);
  return problem;
}

/** Finds a dataset: the shared copy, else the shipped one; each is used only when {@link checkDataset} accepts it. */
export function findDataset(name: DatasetName, o: FindDatasetOptions = {}): DatasetLookup {
  const spec: DatasetSpec = DATASETS[name];
  const root = o.repoRoot ?? repoRoot();
  const candidates: { file: string; source: 'shared' | 'examples' }[] = [
    { file: path.join(sharedDataDir(o.env ?? process.env, root), spec.shared), source: 'shared' },
    { file: path.join(root, spec.shipped), source: 'examples' },
  ];
  const passedOver: string[] = [];
  for (const c of candidates) {
    const problem = checkDataset(c.file, spec);
    if (problem === null) return { file: c.file, source: c.source, reason: null, passedOver };
    passedOver.push(`${c.source}: ${problem}`);
  }
  return { file: null, source: null, reason: `dataset ${name} (${spec.shared}) is not available — ${passedOver.join('; ')}`, passedOver };
}

/** The dataset's file, or an error saying where it was looked for. */
export function requireDataset(name: DatasetName, o: FindDatasetOptions = {}): string {
  const d = findDataset(name, o);
  if (d.file === null) throw new Error(d.reason);
  return d.file;
}
