#!/usr/bin/env node
/**
 * Removes compiled outputs whose TypeScript source is gone from `<package>/dist`.
 *
 * `tsc -b` rebuilds only what changed and never deletes: after a module moves
 * or is removed, its old `.js`, `.js.map` and `.d.ts` stay in `dist/`, where
 * `npm pack` (the `files` globs) would ship them and `require` could still
 * find them. An output is removed when its source folder still exists but its
 * source file does not (`dist/src/cli/data.js` after `src/cli/data.ts` moved);
 * outputs of folders that are not sources (`dist/api/` of the API report) are
 * left alone.
 *
 *   node scripts/prune-dist.js [<package dir> …]   (default: .)
 */
'use strict';
const fs = require('fs');
const path = require('path');

const OUTPUT = /\.(js|js\.map|d\.ts|d\.ts\.map)$/;

function prune(pkg) {
  const dist = path.join(pkg, 'dist');
  const removed = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(file);
        continue;
      }
      if (!OUTPUT.test(entry.name)) continue;
      const rel = path.relative(dist, file);
      const sourceDir = path.join(pkg, path.dirname(rel));
      const base = entry.name.replace(OUTPUT, '');
      if (!fs.existsSync(sourceDir)) continue;
      if (['.ts', '.tsx', '.js', '.cjs', '.mjs'].some((ext) => fs.existsSync(path.join(sourceDir, base + ext)))) continue;
      fs.rmSync(file, { force: true });
      removed.push(path.relative(pkg, file));
    }
  };
  if (fs.existsSync(dist)) walk(dist);
  return removed;
}

if (require.main === module) {
  const packages = process.argv.slice(2);
  for (const pkg of packages.length ? packages : ['.']) {
    const removed = prune(path.resolve(pkg));
    if (removed.length)
      process.stdout.write(
        `prune-dist: removed ${removed.length} output(s) of deleted sources in ${pkg}/dist (${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', …' : ''})\n`,
      );
  }
}

module.exports = { prune };
