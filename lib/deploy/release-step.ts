import { App, ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, MlopsValidationError, show } from '../core/errors';
import { RELEASE_INSTANCE_ENV, RELEASE_SPEC_ENV } from '../core/release';
import { installCommand } from '../private/peers';
import { TerraformData } from './terraform-data';

/** The package whose bin the release step runs (an optional peer dependency of cdktf-mlops). */
const RELEASE_PACKAGE = '@cdktf-mlops/release';
/** Its bin, as named in its package.json. */
const RELEASE_BIN = 'mlops-release';
// The spec and instance environment variables are part of the release contract (lib/core/release.ts).
export { RELEASE_INSTANCE_ENV, RELEASE_SPEC_ENV };

/** Props of {@link ReleaseStep}. */
export interface ReleaseStepProps {
  /**
   * The release spec (see `@cdktf-mlops/release`'s `ReleaseSpec`): plain values
   * and tokens of other resources (names, ARNs, ids), resolved by Terraform at
   * apply time. Nothing secret: credentials come from the deployer's environment.
   */
  readonly spec: Record<string, unknown>;
  /**
   * What re-runs the step when it changes: the image digest and a hash of the
   * release config. Changing any of them replaces the step (create before destroy).
   */
  readonly triggers: Record<string, string>;
  /** Resources that must exist before the step runs. */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The command prefix (`<command> apply|destroy --spec-env MLOPS_RELEASE_SPEC`),
   * run by Terraform from the synthesized stack folder.
   * @default - `node "<path>/bin/mlops-release.js"`: the `@cdktf-mlops/release`
   * package Node resolves from this package (the consumer's `node_modules`), by a
   * path relative to the stack folder (`cdktf.out/stacks/<stack>`)
   */
  readonly command?: string;
}

/**
 * A `terraform_data` resource that runs `mlops release apply` when it is created
 * and `mlops release destroy` when it is destroyed, with the spec in its `input`
 * (so the destroy step sees the spec of what was created, through `self`).
 *
 * `create_before_destroy`: when the image or the config changes, the new step
 * runs first (a new model version, a blue/green rollout), then the old step's
 * destroy, which finds itself superseded and keeps what the new one uses; on
 * `cdktf destroy` nothing supersedes it and it removes what it created.
 */
export class ReleaseStep extends Construct {
  /** The `terraform_data` resource. */
  public readonly resource: TerraformData;
  /** The release spec the step runs (what `props.spec` was). */
  public readonly spec: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: ReleaseStepProps) {
    super(scope, id);
    const command = props.command ?? releaseCommandFor(this);
    this.spec = props.spec;
    this.resource = new TerraformData(this, 'Resource', {
      input: props.spec,
      triggersReplace: props.triggers,
      dependsOn: props.dependsOn,
      lifecycle: { createBeforeDestroy: true },
      provisioners: [
        {
          type: 'local-exec',
          command: `${command} apply --spec-env ${RELEASE_SPEC_ENV}`,
          environment: { [RELEASE_SPEC_ENV]: '${jsonencode(self.input)}', [RELEASE_INSTANCE_ENV]: '${self.id}' },
        },
        {
          type: 'local-exec',
          when: 'destroy',
          command: `${command} destroy --spec-env ${RELEASE_SPEC_ENV}`,
          environment: { [RELEASE_SPEC_ENV]: '${jsonencode(self.output)}', [RELEASE_INSTANCE_ENV]: '${self.id}' },
        },
      ],
    });
  }
}

/**
 * The release command for a step in `scope`'s stack: `node "<bin>"`, where
 * `<bin>` is the `mlops-release` bin of the `@cdktf-mlops/release` package that
 * Node resolves from this module (so the consumer's installed version, however
 * npm laid out `node_modules`), relative to the folder Terraform runs the step
 * from (`<outdir>/stacks/<stack id>`). Relative, with forward slashes, so the
 * synthesized JSON is the same on every machine that has the project at any
 * path. Throws `MLOPS_MISSING_PEER` when the package is not installed.
 */
export function releaseCommandFor(scope: IConstruct): string {
  const bin = releaseBin(scope.node.path);
  const stack = TerraformStack.of(scope);
  const stackDir = path.resolve(App.of(stack).outdir, 'stacks', stack.node.id);
  const rel = path.relative(stackDir, bin).split(path.sep).join('/');
  if (/["$`\\\n%]/.test(rel)) {
    throw new MlopsValidationError('Invalid ReleaseStep:', [
      {
        code: ErrorCode.PROP_INVALID,
        path: scope.node.path,
        message: `The path from the stack folder to the release command, ${show(rel)}, has a character a shell or Terraform would interpret (" $ \` \\ % or a line break). Fix: move the project to a path without them, or pass the ReleaseStep's command.`,
      },
    ]);
  }
  return `node "${rel}"`;
}

/** The absolute path of the installed `mlops-release` bin. */
function releaseBin(where: string): string {
  let manifest: string;
  try {
    manifest = require.resolve(`${RELEASE_PACKAGE}/package.json`);
  } catch {
    throw new MlopsValidationError('Missing peer dependency:', [
      {
        code: ErrorCode.MISSING_PEER,
        path: where,
        message:
          `needs the package ${RELEASE_PACKAGE}, which is not installed: a stack with a deployment runs its release steps (training job, model registration, endpoint rollout) with it during cdktf deploy. ` +
          `Fix: ${installCommand([RELEASE_PACKAGE])}`,
      },
    ]);
  }
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> | string };
  const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.[RELEASE_BIN];
  if (!rel) throw new Error(`${manifest} has no "${RELEASE_BIN}" bin: reinstall ${RELEASE_PACKAGE}.`);
  return path.join(path.dirname(manifest), rel);
}
