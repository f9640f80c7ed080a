/**
 * The public API of cdktf-mlops, one report per entry point of package.json
 * "exports" (api/<entry>.api.md), made by Microsoft API Extractor from the
 * built declarations (dist/lib/**\/*.d.ts).
 *
 *   npm run api             rewrite the reports (after a deliberate API change)
 *   npm run api -- --check  fail when a report differs (test/api-report.test.ts runs this)
 *
 * Besides the reports, both modes fail on:
 *   - a public declaration or member without a documentation summary (ae-undocumented);
 *   - a type the public API uses that no entry point exports (ae-forgotten-export of a
 *     symbol that is not exported elsewhere either: a type exported by another entry
 *     point, e.g. `PolicyPack` used by the root's `MlPlatformStack`, is fine).
 * Release tags (@public/@beta) are not used: every export is public, and the
 * reports are the list of what is.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel, ExtractorMessage, IConfigFile } from '@microsoft/api-extractor';
import * as ts from 'typescript';
import { findProjectRoot } from '../lib/core/project';

/** One entry point of the package. */
export interface ApiEntry {
  /** The specifier consumers import: `cdktf-mlops`, `cdktf-mlops/aws`, … */
  readonly specifier: string;
  /** The report's file name in api/. */
  readonly report: string;
  /** The built declaration file. */
  readonly dts: string;
}

/** Every problem of one run, by kind. */
export interface ApiReportResult {
  /** Reports that differ from the checked-in ones (check mode) or were rewritten (update mode). */
  readonly changed: string[];
  /** `<specifier>: <message>` for each public item without documentation. */
  readonly undocumented: string[];
  /** `<specifier>: <symbol>` for each type used by the public API but exported by no entry point. */
  readonly unexported: string[];
  /** Compiler and other API Extractor errors. */
  readonly errors: string[];
}

/** The command that rewrites the reports, for messages. */
export const UPDATE_COMMAND = 'npm run api';

/** The entry points of package.json "exports" (the `./package.json` export aside). */
export function apiEntries(root: string): ApiEntry[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return Object.entries<{ types: string } | string>(pkg.exports)
    .filter(([key, target]) => key !== './package.json' && typeof target === 'object')
    .map(([key, target]) => ({
      specifier: key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`,
      report: `${key === '.' ? pkg.name : key.slice(2)}.api.md`,
      dts: path.join(root, (target as { types: string }).types),
    }));
}

function configFor(root: string, entry: ApiEntry, entries: readonly ApiEntry[], apiDir: string): ExtractorConfig {
  const configObject: IConfigFile = {
    projectFolder: root,
    mainEntryPointFilePath: entry.dts,
    compiler: {
      // The declarations alone, not the repository's tsconfig (tests, stacks, scripts).
      overrideTsconfig: {
        compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', lib: ['ES2022'], strict: true, skipLibCheck: true, types: ['node'] },
        files: entries.map((e) => e.dts),
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: entry.report,
      reportFolder: apiDir,
      reportTempFolder: path.join(root, 'dist', 'api'),
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    newlineKind: 'lf',
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning, addToApiReportFile: true },
        // Every export is public: no release tags.
        'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
        // Checked here, across entry points (see the header).
        'ae-undocumented': { logLevel: ExtractorLogLevel.Warning, addToApiReportFile: false },
        'ae-forgotten-export': { logLevel: ExtractorLogLevel.Warning, addToApiReportFile: false },
        // {@link} to a member of another entry point (or a private helper) reads fine in the editor.
        'ae-unresolved-link': { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
      },
      // TSDoc syntax (e.g. the `@default` tag, which TSDoc spells `@defaultValue`) is not enforced.
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
    },
  };
  return ExtractorConfig.prepare({ configObject, configObjectFullPath: path.join(root, 'api', 'api-extractor.json'), packageJsonFullPath: path.join(root, 'package.json') });
}

/** The names each entry point exports (values and types), from the compiler's view of its declarations. */
function exportedNames(state: CompilerState, entries: readonly ApiEntry[]): Set<string> {
  // The `typescript` API Extractor compiles with: its Program's checker.
  const program = state.program as import('typescript').Program;
  const checker = program.getTypeChecker();
  const names = new Set<string>();
  for (const entry of entries) {
    const file = program.getSourceFile(entry.dts);
    const symbol = file && checker.getSymbolAtLocation(file);
    if (symbol) for (const s of checker.getExportsOfModule(symbol)) names.add(s.getName());
  }
  return names;
}

/**
 * Declarations of lib/ emitted afresh, in one non-incremental program, into
 * dist/api/dts. The reports print inferred types (a zod schema's, unions of
 * literals) whose member order follows the compiler's type ids, which depend
 * on the order the program checks files in: an incremental build re-checks
 * only what changed, so its declarations may order them differently from a
 * clean build's (CI's). A fresh program of the same files prints them the same
 * way every time.
 */
function emitFreshDeclarations(root: string): string {
  const out = path.join(root, 'dist', 'api', 'dts');
  fs.rmSync(out, { recursive: true, force: true });
  const configPath = path.join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  const libDir = path.join(root, 'lib') + path.sep;
  const files = parsed.fileNames.filter((f) => path.resolve(f).startsWith(libDir)).sort();
  const options: ts.CompilerOptions = {
    ...parsed.options,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    sourceMap: false,
    incremental: false,
    composite: false,
    tsBuildInfoFile: undefined,
    noEmit: false,
    outDir: out,
    rootDir: root,
  };
  const emitted = ts.createProgram(files, options).emit();
  const errors = emitted.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0)
    throw new Error(`declaration emit failed:\n${ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' })}`);
  return out;
}

/** Runs API Extractor over every entry point; `update` rewrites the reports (in `apiDir`, default `<root>/api`). */
export function runApiReport(root: string, update: boolean, apiDir = path.join(root, 'api')): ApiReportResult {
  const fresh = emitFreshDeclarations(root);
  const built = path.join(root, 'dist') + path.sep;
  const entries = apiEntries(root).map((e) => ({ ...e, dts: e.dts.startsWith(built) ? path.join(fresh, e.dts.slice(built.length)) : e.dts }));
  for (const e of entries) if (!fs.existsSync(e.dts)) throw new Error(`${path.relative(root, e.dts)} is missing: the declaration emit did not write it.`);
  fs.mkdirSync(apiDir, { recursive: true });
  const configs = entries.map((e) => configFor(root, e, entries, apiDir));
  const state = CompilerState.create(configs[0]!, { additionalEntryPoints: entries.slice(1).map((e) => e.dts) });
  const exported = exportedNames(state, entries);
  const result: ApiReportResult = { changed: [], undocumented: [], unexported: [], errors: [] };
  entries.forEach((entry, i) => {
    const messageCallback = (m: ExtractorMessage): void => {
      m.handled = true;
      const where = m.sourceFilePath ? ` (${path.relative(root, m.sourceFilePath)}:${m.sourceFileLine})` : '';
      if (m.messageId === 'ae-undocumented') result.undocumented.push(`${entry.specifier}: ${m.text}${where}`);
      else if (m.messageId === 'ae-forgotten-export') {
        const symbol = /The symbol "([^"]+)"/.exec(m.text)?.[1] ?? m.text;
        if (!exported.has(symbol)) result.unexported.push(`${entry.specifier}: ${symbol}${where}`);
      } else if (m.logLevel === ExtractorLogLevel.Error || m.category === 'Compiler') result.errors.push(`${entry.specifier}: ${m.text}${where}`);
    };
    const r = Extractor.invoke(configs[i]!, { localBuild: update, compilerState: state, messageCallback, showVerboseMessages: false });
    if (r.apiReportChanged) result.changed.push(path.relative(root, path.join(apiDir, entry.report)));
  });
  return result;
}

function main(): void {
  const root = findProjectRoot(__dirname) ?? process.cwd();
  const check = process.argv.includes('--check');
  // --api-dir <dir>: compare with / write reports elsewhere (the test checks that a changed report fails).
  const dirArg = process.argv.indexOf('--api-dir');
  const r = runApiReport(root, !check, dirArg > 0 ? path.resolve(process.argv[dirArg + 1]!) : undefined);
  const problems: string[] = [];
  if (r.errors.length) problems.push(`API Extractor errors:\n  ${r.errors.join('\n  ')}`);
  if (r.undocumented.length) problems.push(`Public API without documentation (add a /** one-line summary */):\n  ${r.undocumented.join('\n  ')}`);
  if (r.unexported.length)
    problems.push(
      `Types the public API uses that no entry point exports (export them from the entry point's index.ts, or stop using them in public signatures):\n  ${r.unexported.join('\n  ')}`,
    );
  if (check && r.changed.length)
    problems.push(
      `The public API differs from the checked-in reports: ${r.changed.join(', ')} (the new versions are in dist/api/). If the change is deliberate, run \`${UPDATE_COMMAND}\` and commit api/.`,
    );
  if (!check) console.log(r.changed.length ? `Updated ${r.changed.join(', ')}.` : 'The API reports are up to date.');
  if (problems.length) {
    console.error(problems.join('\n\n'));
    process.exit(1);
  }
}

if (require.main === module) main();
