/**
 * A fitted decision tree stored in flat typed arrays, shared by the forest and
 * the gradient-boosting learners. Node 0 is the root; a leaf has `left = -1`.
 * Predictions run on raw feature values: `x <= threshold` goes left, NaN goes
 * the way `missingLeft` says.
 */
export interface FlatTree {
  /** Split feature per node (-1 for a leaf). */
  readonly feature: Int32Array;
  /** Split threshold on the raw value (may be +Infinity: "every non-missing value left"). */
  readonly threshold: Float64Array;
  /** 1 when missing values go to the left child. */
  readonly missingLeft: Uint8Array;
  /** Left child id, -1 for a leaf. */
  readonly left: Int32Array;
  /** Right child id, -1 for a leaf. */
  readonly right: Int32Array;
  /** Node outputs, `nOut` values per node (leaf value, or class fractions). */
  readonly value: Float64Array;
  /** Number of outputs per node. */
  readonly nOut: number;
}

/** A growable node store that becomes a {@link FlatTree}. */
export class TreeBuilder {
  private cap: number;
  /** Number of nodes so far. */
  size = 0;
  private feature: Int32Array;
  private threshold: Float64Array;
  private missingLeft: Uint8Array;
  private left: Int32Array;
  private right: Int32Array;
  private value: Float64Array;

  constructor(
    readonly nOut: number,
    capacity = 64,
  ) {
    this.cap = capacity;
    this.feature = new Int32Array(capacity);
    this.threshold = new Float64Array(capacity);
    this.missingLeft = new Uint8Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.value = new Float64Array(capacity * nOut);
  }

  /** Adds a leaf node and returns its id. */
  addNode(): number {
    if (this.size === this.cap) this.grow();
    const id = this.size++;
    this.feature[id] = -1;
    this.left[id] = -1;
    this.right[id] = -1;
    return id;
  }

  /** Turns node `id` into a split with the given children. */
  setSplit(id: number, feature: number, threshold: number, missingLeft: boolean, left: number, right: number): void {
    this.feature[id] = feature;
    this.threshold[id] = threshold;
    this.missingLeft[id] = missingLeft ? 1 : 0;
    this.left[id] = left;
    this.right[id] = right;
  }

  /** Sets output `k` of node `id`. */
  setValue(id: number, k: number, v: number): void {
    this.value[id * this.nOut + k] = v;
  }

  /** The finished tree, trimmed to size. */
  build(): FlatTree {
    const n = this.size;
    return {
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      missingLeft: this.missingLeft.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      value: this.value.slice(0, n * this.nOut),
      nOut: this.nOut,
    };
  }

  private grow(): void {
    const cap = this.cap * 2;
    const f = new Int32Array(cap);
    f.set(this.feature);
    this.feature = f;
    const t = new Float64Array(cap);
    t.set(this.threshold);
    this.threshold = t;
    const m = new Uint8Array(cap);
    m.set(this.missingLeft);
    this.missingLeft = m;
    const l = new Int32Array(cap);
    l.set(this.left);
    this.left = l;
    const r = new Int32Array(cap);
    r.set(this.right);
    this.right = r;
    const v = new Float64Array(cap * this.nOut);
    v.set(this.value);
    this.value = v;
    this.cap = cap;
  }
}

/** The leaf a row (at `offset` in row-major `data`) falls into. */
export function leafOf(t: FlatTree, data: Float64Array, offset: number): number {
  const L = t.left;
  const R = t.right;
  const F = t.feature;
  const T = t.threshold;
  const M = t.missingLeft;
  let node = 0;
  while (L[node]! !== -1) {
    const v = data[offset + F[node]!]!;
    const goLeft = v !== v ? M[node] === 1 : v <= T[node]!;
    node = goLeft ? L[node]! : R[node]!;
  }
  return node;
}

/** A tree as plain JSON. Non-finite thresholds are written as strings ("Infinity"). */
export interface TreeJSON {
  feature: number[];
  threshold: (number | string)[];
  missingLeft: number[];
  left: number[];
  right: number[];
  value: number[];
  nOut: number;
}

/** Plain-JSON form of a tree (round-trips doubles exactly). */
export function treeToJSON(t: FlatTree): TreeJSON {
  return {
    feature: plain(t.feature),
    threshold: encoded(t.threshold) as number[],
    missingLeft: plain(t.missingLeft),
    left: plain(t.left),
    right: plain(t.right),
    value: encoded(t.value) as number[],
    nOut: t.nOut,
  };
}

// Plain loops: Array.from(typedArray, fn) is several times slower on a forest's millions of nodes.
function plain(a: ArrayLike<number>): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]!;
  return out;
}

function encoded(a: Float64Array): (number | string)[] {
  const out = new Array<number | string>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = encodeNumber(a[i]!);
  return out;
}

/** Reads a tree written by {@link treeToJSON}, checking its shape; `where` names it in errors. */
export function treeFromJSON(json: unknown, nFeatures: number, where: string): FlatTree {
  const j = json as Partial<TreeJSON> | null;
  if (j === null || typeof j !== 'object') throw new TypeError(`${where}: expected a tree object, got ${typeof json}`);
  const nOut = j.nOut;
  if (typeof nOut !== 'number' || !Number.isInteger(nOut) || nOut < 1) throw new TypeError(`${where}.nOut must be an int ≥ 1, got ${JSON.stringify(nOut)}`);
  const arr = (name: keyof TreeJSON): unknown[] => {
    const a = j[name];
    if (!Array.isArray(a)) throw new TypeError(`${where}.${name} must be an array`);
    return a;
  };
  const feature = Int32Array.from(arr('feature') as number[]);
  const n = feature.length;
  if (n === 0) throw new TypeError(`${where} has no nodes`);
  const threshold = Float64Array.from(arr('threshold'), decodeNumber);
  const missingLeft = Uint8Array.from(arr('missingLeft') as number[]);
  const left = Int32Array.from(arr('left') as number[]);
  const right = Int32Array.from(arr('right') as number[]);
  const value = Float64Array.from(arr('value'), decodeNumber);
  if (threshold.length !== n || missingLeft.length !== n || left.length !== n || right.length !== n || value.length !== n * nOut) {
    throw new TypeError(`${where}: node arrays have inconsistent lengths (${n} nodes)`);
  }
  for (let i = 0; i < n; i++) {
    const l = left[i]!;
    if (l === -1) continue;
    const r = right[i]!;
    if (!(l > i && l < n && r > i && r < n) || feature[i]! < 0 || feature[i]! >= nFeatures) {
      throw new TypeError(`${where}: node ${i} is corrupt (feature ${feature[i]}, children ${l}/${r})`);
    }
  }
  return { feature, threshold, missingLeft, left, right, value, nOut };
}

/** A number for JSON: finite as is, otherwise its string name. */
export function encodeNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** Inverse of {@link encodeNumber}. */
export function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  throw new TypeError(`expected a number, got ${JSON.stringify(v)}`);
}
