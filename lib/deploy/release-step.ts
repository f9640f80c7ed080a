import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { TerraformData } from './terraform-data';

/** The command the release step runs (from the synthesized stack folder; npx finds the project's bin). */
export const DEFAULT_RELEASE_COMMAND = 'npx --no-install mlops release';
/** The environment variable the step hands the spec over in. */
export const RELEASE_SPEC_ENV = 'MLOPS_RELEASE_SPEC';
/**
 * The environment variable with the `terraform_data` instance id: a step that
 * replaces another with the same spec (after a taint) has a new id, so a
 * driver can tell "superseded by an equal spec" from a real destroy.
 */
export const RELEASE_INSTANCE_ENV = 'MLOPS_RELEASE_INSTANCE';

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
   * The command prefix (`<command> apply|destroy --spec-env MLOPS_RELEASE_SPEC`).
   * @default DEFAULT_RELEASE_COMMAND
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

  constructor(scope: Construct, id: string, props: ReleaseStepProps) {
    super(scope, id);
    const command = props.command ?? DEFAULT_RELEASE_COMMAND;
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
