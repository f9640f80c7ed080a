import { ModelDirError } from '../artifacts/modeldir';
import { ParamError } from '../core/estimator';
import { DataError } from '../data/errors';
import { describeSystemError, isSystemError } from '../core/fs-errors';
import { cut, show } from '../core/text';
import { evaluateCommand, EVALUATE_HELP, predictCommand, PREDICT_HELP } from './score';
import { forecastCommand, FORECAST_HELP } from './forecast';
import { Command, EXIT, Io, processIo } from '../core/io';
import { UsageError } from './io';
import { trainCommand, TRAIN_HELP } from './train';
import { validateCommand, VALIDATE_HELP } from './validate';

/** Help text of `mlops`. */
export const MAIN_HELP = `Usage: mlops <command> [options]

The cdktf-mlops runtime: validate data, train, evaluate, predict and forecast.

Commands:
  validate   check a CSV against a data contract
  train      train a model and write a model directory
  evaluate   score a model on labelled data
  predict    write predictions for new data
  forecast   forecast a time series; when does it cross a threshold?
  serve      serve a model over HTTP (SageMaker, Vertex AI, Azure ML, MLflow)
  pipeline   run a pipeline definition (pipeline run <pipeline.yaml>)
  runs       list and compare pipeline runs
  models     the local model registry: list, promote, rollback
  release    run a cloud release step: training job, model registration, endpoint
             rollout (needs the @cdktf-mlops/release package; not in the image)

Run \`mlops <command> --help\` for the options of a command.
`;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  validate: { run: validateCommand, help: VALIDATE_HELP },
  train: { run: trainCommand, help: TRAIN_HELP },
  evaluate: { run: evaluateCommand, help: EVALUATE_HELP },
  predict: { run: predictCommand, help: PREDICT_HELP },
  forecast: { run: forecastCommand, help: FORECAST_HELP },
  // Loaded on use: the server's dependencies (prom-client, …) stay out of the other commands' start-up.
  serve: { run: (argv, io) => (require('./serve') as typeof import('./serve')).serveCommand(argv, io), help: 'mlops serve --help' },
  pipeline: { run: (argv, io) => (require('./pipeline') as typeof import('./pipeline')).pipelineCommand(argv, io), help: 'mlops pipeline --help' },
  runs: { run: (argv, io) => (require('./runs') as typeof import('./runs')).runsCommand(argv, io), help: 'mlops runs --help' },
  models: { run: (argv, io) => (require('./models') as typeof import('./models')).modelsCommand(argv, io), help: 'mlops models --help' },
  release: { run: releaseCommand, help: 'mlops release --help' },
};

/**
 * `mlops release …` runs where the deploy runs (a laptop, CI), with the clouds'
 * SDKs from the separate `@cdktf-mlops/release` package, which the runtime image
 * does not install.
 */
async function releaseCommand(argv: string[], io: Io): Promise<number> {
  let release: { runRelease(argv: readonly string[], io: unknown): Promise<number> };
  try {
    release = require('@cdktf-mlops/release');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    io.err(
      'mlops release: the release package (@cdktf-mlops/release) is not installed here. ' +
        'It runs where you deploy from, not inside the runtime image: run it from the repository ' +
        '(npm ci && npm run build), e.g. `npx mlops release apply --spec spec.json`.',
    );
    return EXIT.USAGE;
  }
  return release.runRelease(argv, {
    stdout: (t: string) => io.out(t),
    stderr: (t: string) => io.err(t),
    env: process.env,
  });
}

/** Runs the `mlops` CLI; returns the exit code (0 ok, 1 failed, 2 usage error). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(MAIN_HELP);
    return cmd ? EXIT.OK : EXIT.USAGE;
  }
  // Own keys only: `mlops constructor` is an unknown command, not Object's constructor.
  const c = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!c) {
    io.err(`mlops: unknown command ${show(cmd)}. Commands: ${Object.keys(COMMANDS).join(', ')}. Run \`mlops --help\`.`);
    return EXIT.USAGE;
  }
  try {
    return await c.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mlops ${cmd}: ${cut(e.message)}\nRun \`mlops ${cmd} --help\` for usage.`);
      return EXIT.USAGE;
    }
    if (e instanceof DataError || e instanceof ModelDirError || e instanceof ParamError || (e as Error).name === 'ForecastInputError') {
      io.err(`mlops ${cmd}: ${(e as Error).message}`);
      return EXIT.FAILED;
    }
    // A system call that failed where no command expected it: its operation, path and reason in words, not the raw errno text.
    const message = isSystemError(e)
      ? `${describeSystemError(e)}. Fix: check the path and its permissions, then run again (MLOPS_DEBUG=1 shows where it failed).`
      : ((e as Error)?.message ?? String(e));
    io.err(`mlops ${cmd}: ${cut(message)}`);
    if (process.env.MLOPS_DEBUG) io.err((e as Error).stack ?? '');
    return EXIT.FAILED;
  }
}
