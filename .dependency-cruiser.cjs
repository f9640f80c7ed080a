/**
 * The dependency rules of the repository, checked by `npm test`
 * (test/dependency-rules.test.ts runs depcruise with this file and fails on
 * any error-severity violation; it also shows that each rule fails on a
 * deliberate violation).
 *
 *   npx depcruise --config .dependency-cruiser.cjs lib stacks release/src training-image/src
 *
 * What is checked:
 * - no import cycles between files, anywhere (lib, stacks, release/src, training-image/src;
 *   none known);
 * - `private/` is private to its folder: a module in `<dir>/private/` is imported
 *   only from `<dir>` and the folders below it (Go's rule for `internal/`), and
 *   no `index.ts` entry point re-exports one (lib, stacks, release/src);
 * - the construct library's folders are layers (see LIB_LAYERS below): a folder
 *   imports only its own layer's siblings it is allowed and the layers below,
 *   so no two folders import each other; the per-cloud entry points
 *   (`lib/<cloud>/index.ts`, re-exports only) sit on top;
 * - the policy pack does not import `ci/`;
 * - the three packages stay apart: `lib/` and `stacks/` never import the
 *   runtime or the release driver, `release/src` and `training-image/src` import
 *   nothing outside their own package (each is published on its own);
 * - the runtime's `cli/` is its top layer: nothing else in training-image/src
 *   imports it.
 */

/** How deep `private/` checks look for the importing folder (lib/deploy/gcp/private is at depth 3). */
const MAX_DEPTH = 8;

/**
 * `<dir>/private/**` only from `<dir>/**`. dependency-cruiser passes groups
 * captured in `from.path` to `to.pathNot`, and drops groups that did not
 * match, so there is one rule per depth of the importing file's folder: the
 * folder's segments are captured as $1..$n, and the import is allowed when
 * the private folder's parent is one of the folder's ancestors (or itself).
 */
function privateRules() {
  const rules = [];
  for (let depth = 1; depth <= MAX_DEPTH; depth++) {
    const segments = Array.from({ length: depth }, () => '([^/]+)').join('/');
    // ($1|$1/$2|$1/$2/$3): every ancestor-or-self of the importing folder (an
    // alternation: dependency-cruiser refuses nested optional groups as unsafe).
    const ancestors = Array.from({ length: depth }, (_, n) => Array.from({ length: n + 1 }, (_, i) => `$${i + 1}`).join('/')).join('|');
    rules.push({
      name: 'private-only-from-its-folder',
      comment: `A module in <dir>/private/ is private to <dir>: import it only from <dir> or a folder below it. Fix: move what is shared out of private/ into a public module of <dir> (or into lib/core), and import that.`,
      severity: 'error',
      from: { path: `^${segments}/[^/]+$`, pathNot: '^training-image/' },
      to: { path: '(^|/)private/', pathNot: `^(${ancestors})/private/` },
    });
  }
  return rules;
}

/**
 * The construct library's layers, lowest first. A folder (or top-level file)
 * of lib/ may import only from its own layer's allowed siblings and from the
 * layers below it.
 */
const LIB_LAYERS = [
  // Cloud-neutral contracts, sizes, naming, tags, errors, validation.
  ['lib/core'],
  // The library's own helpers (optional peer loading).
  ['lib/private'],
  // One folder per cloud: the resource constructs and the cloud's facts (perms, limits).
  ['lib/aws', 'lib/azure', 'lib/gcp'],
  // The policy pack reads the clouds' facts; the runtime image construct.
  ['lib/policy', 'lib/image'],
  // The stack config (its image.uri rule is the image's).
  ['lib/config'],
  // Training jobs and scoring endpoints (on the platforms and the image).
  ['lib/deploy'],
  // Alerts on the deployment; keyless CI identities.
  ['lib/alerts', 'lib/ci'],
  // The platform factory, the security defaults table, the stack, and the entry points.
  ['lib/platform.ts', 'lib/security-defaults.ts', 'lib/stack.ts', 'lib/index.ts'],
];

/** Folders of one layer that may not import each other (the three clouds). */
const INDEPENDENT = [
  ['lib/aws', 'lib/azure', 'lib/gcp'],
  ['lib/alerts', 'lib/ci'],
  ['lib/policy', 'lib/image'],
];

/** The per-cloud entry points re-export the cloud's constructs from every folder: they are on top. */
const ENTRY_POINTS = '^lib/(aws|azure|gcp|core|config|policy|deploy|image|alerts|ci)/index\\.ts$';

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unit = (u) => (u.endsWith('.ts') ? `^${escapeRegExp(u)}$` : `^${escapeRegExp(u)}/`);

function layerRules() {
  const rules = [];
  LIB_LAYERS.forEach((layer, i) => {
    const above = LIB_LAYERS.slice(i + 1).flat();
    if (above.length === 0) return;
    for (const u of layer) {
      rules.push({
        name: 'lib-layers',
        comment: `${u} is in layer ${i} of LIB_LAYERS (.dependency-cruiser.cjs): it imports only from its layer and the layers below, never from ${above.join(', ')}. Fix: move the shared fact down (to lib/core or the cloud folder), or invert the dependency.`,
        severity: 'error',
        from: { path: unit(u), pathNot: ENTRY_POINTS },
        to: { path: above.map(unit).join('|') },
      });
    }
  });
  for (const group of INDEPENDENT) {
    for (const u of group) {
      const others = group.filter((o) => o !== u);
      rules.push({
        name: 'lib-siblings-independent',
        comment: `${u} does not import ${others.join(' or ')}: they are independent folders of one layer. Fix: move the shared fact to lib/core.`,
        severity: 'error',
        from: { path: unit(u), pathNot: ENTRY_POINTS },
        to: { path: others.map(unit).join('|') },
      });
    }
  }
  return rules;
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make load order matter and hide layering. Fix: move what both files need into a third module they both import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...privateRules(),
    ...layerRules(),
    {
      name: 'entry-points-not-private',
      comment:
        'An index.ts is a public entry point: re-exporting a private/ module makes it public API. Fix: move the symbol to a public module of the folder, or stop exporting it.',
      severity: 'error',
      from: { path: '(^|/)index\\.ts$', pathNot: '^training-image/' },
      to: { path: '(^|/)private/', dependencyTypes: ['export'] },
    },
    {
      name: 'policy-not-ci',
      comment: 'The policy pack checks what is deployed; it does not import ci/. Fix: keep the facts both need (actions, roles) with their cloud (lib/<cloud>/perms.ts).',
      severity: 'error',
      from: { path: '^lib/policy/' },
      to: { path: '^lib/ci/' },
    },
    {
      name: 'lib-not-runtime-or-release',
      comment:
        'The construct library never imports the runtime or the release driver (separate packages; lib talks to them through the release spec and the image contract). Fix: keep the fact in lib and assert it agrees with the other package in a test.',
      severity: 'error',
      from: { path: '^(lib|stacks)/' },
      to: { path: '^(training-image|release)/' },
    },
    {
      name: 'stacks-through-lib',
      comment: 'The lib does not import the deployable app.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^stacks/' },
    },
    {
      name: 'release-self-contained',
      comment:
        '@cdktf-mlops/release is published on its own: release/src imports only its own files and its npm dependencies. Fix: give the fact a home in release/src and assert it agrees with lib in a root test.',
      severity: 'error',
      from: { path: '^release/src/' },
      to: { path: '^(lib|stacks|training-image|scripts|test)/' },
    },
    {
      name: 'runtime-self-contained',
      comment: '@cdktf-mlops/runtime is published on its own and never imports cdktf or the construct library.',
      severity: 'error',
      from: { path: '^training-image/src/' },
      to: { path: '^(lib|stacks|release|scripts|test)/' },
    },
    {
      name: 'runtime-cli-on-top',
      comment:
        "training-image/src/cli/ is the runtime's command layer: only the package entry (src/index.ts) and cli/ itself import it; the library modules (pipeline, models, contracts, …) must not. " +
        'Fix: move what they need below cli/ (data/, models/, core/, pipeline/context.ts) and import it from there.',
      severity: 'error',
      from: { path: '^training-image/src/', pathNot: '^training-image/src/(cli/|index\\.ts$)' },
      to: { path: '^training-image/src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|cdktf\\.out)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
