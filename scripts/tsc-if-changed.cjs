#!/usr/bin/env node
/**
 * `tsc -b <tsconfig>`, skipped when nothing it reads has changed since this
 * script last built: the build step of `npm run synth`. An up-to-date
 * `tsc -b` still loads the compiler (about 0.4 s on Node 20); this check
 * stats a few hundred files.
 *
 *   node scripts/tsc-if-changed.cjs [tsconfig.json …] [--verbose] [--then script.js]
 *
 * Several tsconfig files are checked (and built) in turn, in one process.
 * `--then` runs a (built) script in this process once every build succeeded,
 * as `node script.js` would (argv is `[node, script]`): one Node start instead
 * of two for `npm run synth` (check, then the app).
 *
 * After a successful build it writes a stamp next to the build info: the
 * fingerprint of the inputs (taken before the build, so a file changed while
 * tsc runs counts as a change next time) and the list of files the build read
 * (from the build info). A file changes with its size, mtime, ctime or inode.
 * The build is skipped only when none of these changed:
 * - the files under the folders the tsconfig's `include` patterns start from,
 *   whatever their names (so an added or removed file counts);
 * - the files the last build read outside them (sources imported from other
 *   folders), and, for the declaration files of installed packages, each
 *   package's package.json (an install rewrites it);
 * - the tsconfig's text, package.json and package-lock.json;
 * - the build info file (deleted, or rewritten by another build).
 * When the list of files read changes, the next run builds once more (tsc -b
 * finds it up to date) before skipping. The tsconfig may `extend` other
 * tsconfig files by relative path (JSON with comments, as tsc reads them):
 * their texts are inputs too. A tsconfig this check cannot follow (not
 * JSON; `extends` of a package; `references` or `files`; no
 * `tsBuildInfoFile`) is always built. Outputs deleted by hand are not
 * noticed, as by `tsc -b`: delete the output folder, or the build info, to
 * rebuild. After a build, the outputs of deleted sources are pruned from the
 * tsconfig folder's `dist` (scripts/prune-dist.js), as `npm run build:lib` does.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const STAMP = '.tsc-if-changed.json';
const SKIPPED_NAMES = new Set(['node_modules', '.git']);

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const thenAt = args.indexOf('--then');
const then = thenAt >= 0 ? args[thenAt + 1] : undefined;
if (thenAt >= 0 && (!then || then.startsWith('--'))) {
  process.stderr.write('tsc-if-changed: --then needs the script to run after the build (--then dist/stacks/main.js)\n');
  process.exit(2);
}
const configs = args.filter((a, i) => !a.startsWith('--') && !(thenAt >= 0 && i === thenAt + 1));
/** The tsconfig being checked, and its folder. */
let config = '';
let root = '';

function say(line) {
  if (verbose) process.stdout.write(`tsc-if-changed: ${line}\n`);
}

/** size, mtime, ctime and inode of a file, or '-' when it does not exist. */
function statLine(file) {
  const s = fs.statSync(file, { throwIfNoEntry: false });
  return s ? `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}` : '-';
}

/** Every file under `dir` with its stats, in a stable order; `skip` is the output folder. */
function walk(dir, skip, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    out.push(`${dir}\0missing`);
    return;
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const file = path.join(dir, entry.name);
    if (SKIPPED_NAMES.has(entry.name) || file === skip) continue;
    if (entry.isDirectory()) walk(file, skip, out);
    else out.push(`${file}\0${statLine(file)}`);
  }
}

/** The folder (or file) a tsconfig `include` pattern starts from: its segments before the first wildcard. */
function patternRoot(pattern) {
  const literal = [];
  for (const segment of pattern.split('/')) {
    if (/[*?[\]{}]/.test(segment)) break;
    literal.push(segment);
  }
  return path.resolve(root, ...literal);
}

/** JSON with comments and trailing commas (tsconfig syntax) as plain JSON; strings are kept as they are. */
function stripJsonc(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

/**
 * The tsconfig and the files it extends (relative paths only), leaf first, as
 * `{ file, text, json }`; undefined for one this check cannot follow.
 */
function readChain(file, seen = new Set()) {
  if (seen.has(file) || seen.size > 8) return undefined;
  seen.add(file);
  let text;
  let json;
  try {
    text = fs.readFileSync(file, 'utf8');
    json = JSON.parse(stripJsonc(text));
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || json.references || json.files) return undefined;
  const here = { file, text, json };
  if (json.extends === undefined) return [here];
  if (typeof json.extends !== 'string' || !json.extends.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(file), json.extends.endsWith('.json') ? json.extends : `${json.extends}.json`);
  const rest = readChain(base, seen);
  return rest && [here, ...rest];
}

/** The tsconfig's text, folders and build info, or undefined for one this check cannot follow. */
function readConfig() {
  const chain = readChain(config);
  if (!chain) return undefined;
  const tsconfig = chain[0].json;
  const text = chain.map((c) => `${c.file}\0${c.text}`).join('\0');
  // outDir, tsBuildInfoFile and include are read from the leaf only (they are relative to the file naming them).
  if (chain.slice(1).some((c) => c.json.include || c.json.compilerOptions?.outDir || c.json.compilerOptions?.tsBuildInfoFile)) return undefined;
  const options = tsconfig.compilerOptions ?? {};
  if (!options.tsBuildInfoFile || !Array.isArray(tsconfig.include)) return undefined;
  const outDir = path.resolve(root, options.outDir ?? '.');
  const buildInfo = path.resolve(root, options.tsBuildInfoFile);
  return { text, starts: [...new Set(tsconfig.include.map(patternRoot))].sort(), outDir, buildInfo, stamp: path.join(path.dirname(buildInfo), STAMP) };
}

/**
 * What the build read, from its build info: the files outside the include
 * folders, and the package.json of each installed package whose declarations
 * it read; undefined without a build info listing them.
 */
function readList(cfg) {
  let names;
  try {
    names = JSON.parse(fs.readFileSync(cfg.buildInfo, 'utf8')).fileNames;
  } catch {
    return undefined;
  }
  if (!Array.isArray(names)) return undefined;
  const inside = (file) => cfg.starts.some((start) => file === start || file.startsWith(start + path.sep));
  const files = new Set();
  const packages = new Set();
  for (const name of names) {
    const file = path.resolve(path.dirname(cfg.buildInfo), name);
    const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
    if (at >= 0) {
      const rest = file.slice(at + '/node_modules/'.length).split(path.sep);
      const name = rest[0].startsWith('@') ? rest.slice(0, 2) : rest.slice(0, 1);
      packages.add(path.join(file.slice(0, at), 'node_modules', ...name, 'package.json'));
    } else if (!inside(file)) {
      files.add(file);
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** The fingerprint of the inputs, with `list` the files the last build read. */
function fingerprint(cfg, list) {
  const lines = [`tsconfig\0${cfg.text}`];
  for (const file of ['package.json', 'package-lock.json']) lines.push(`${file}\0${statLine(path.join(root, file))}`);
  for (const start of cfg.starts) {
    const stat = fs.statSync(start, { throwIfNoEntry: false });
    if (stat?.isFile()) lines.push(`${start}\0${statLine(start)}`);
    else walk(start, cfg.outDir === root ? undefined : cfg.outDir, lines);
  }
  for (const file of [...list.files, ...list.packages]) lines.push(`${file}\0${statLine(file)}`);
  return crypto.createHash('sha256').update(lines.join('\n')).digest('hex');
}

function readStamp(cfg) {
  try {
    const stamp = JSON.parse(fs.readFileSync(cfg.stamp, 'utf8'));
    return Array.isArray(stamp.list?.files) && Array.isArray(stamp.list?.packages) ? stamp : undefined;
  } catch {
    return undefined;
  }
}

function main() {
  const cfg = readConfig();
  const stamp = cfg && readStamp(cfg);
  if (stamp && stamp.inputs === fingerprint(cfg, stamp.list) && stamp.buildInfo === statLine(cfg.buildInfo)) {
    say('no input changed since the last build: tsc -b skipped');
    return 0;
  }
  say(cfg ? 'inputs changed, or no stamp: tsc -b' : 'a tsconfig this check does not follow: tsc -b');
  // Taken before the build, over what the last build read.
  const before = cfg && (stamp?.list ?? readList(cfg));
  const inputs = before ? fingerprint(cfg, before) : null;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root, __dirname] });
  const r = spawnSync(process.execPath, [tsc, '-b', config], { stdio: 'inherit' });
  if (r.status !== 0) return r.status ?? 1;
  const removed = require('./prune-dist.js').prune(root);
  if (removed.length) process.stdout.write(`tsc-if-changed: removed ${removed.length} output(s) of deleted sources from dist\n`);
  const after = cfg && readList(cfg);
  if (after) {
    // A list that changed with this build makes the next fingerprint differ: one more (up-to-date) tsc -b.
    fs.writeFileSync(cfg.stamp, JSON.stringify({ inputs, buildInfo: statLine(cfg.buildInfo), list: after }));
  } else if (cfg) {
    fs.rmSync(cfg.stamp, { force: true });
  }
  return 0;
}

process.exitCode = 0;
for (const file of configs.length ? configs : ['tsconfig.json']) {
  config = path.resolve(file);
  root = path.dirname(config);
  const code = main();
  if (code !== 0) {
    process.exitCode = code;
    break;
  }
}
if (then && process.exitCode === 0) {
  const script = path.resolve(then);
  process.argv = [process.argv[0], script];
  require(script);
}
