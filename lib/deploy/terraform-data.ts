import { AnyMap, TerraformMetaArguments, TerraformResource, anyToHclTerraform, anyToTerraform, hashMapper, hashMapperHcl } from 'cdktf';
import { Construct } from 'constructs';

/** Config of {@link TerraformData}. */
export interface TerraformDataConfig extends TerraformMetaArguments {
  /** Stored in state and reflected in `output` after apply. */
  readonly input?: { [key: string]: any };
  /** Replaces the resource when it changes. */
  readonly triggersReplace?: { [key: string]: any };
}

/**
 * Terraform's built-in `terraform_data` resource (Terraform ≥ 1.4).
 *
 * cdktf's own `DataResource` adds a synth-time validation that runs
 * `terraform version` in a child process for every instance: synth then needs
 * a Terraform binary on the machine (CI, `npm start`) and pays a process spawn
 * per resource. The deploy checks the Terraform version anyway (`cdktf deploy`
 * runs Terraform; the README asks for ≥ 1.10), so this class synthesizes the
 * same JSON without the validation.
 */
export class TerraformData extends TerraformResource {
  /** The Terraform resource type. */
  public static readonly tfResourceType = 'terraform_data';
  private readonly inputValue?: { [key: string]: any };
  private readonly triggersValue?: { [key: string]: any };
  private readonly outputMap: AnyMap;

  constructor(scope: Construct, id: string, config: TerraformDataConfig = {}) {
    super(scope, id, {
      terraformResourceType: TerraformData.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'terraform' },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    this.inputValue = config.input;
    this.triggersValue = config.triggersReplace;
    this.outputMap = new AnyMap(this, 'output');
  }

  /** The instance id (a UUID Terraform assigns). */
  get id(): string {
    return this.getStringAttribute('id');
  }

  /** `input`, as stored after apply. */
  get output(): AnyMap {
    return this.outputMap;
  }

  /** The resource's attributes in Terraform JSON: `input` and `triggers_replace`. */
  protected synthesizeAttributes(): { [name: string]: any } {
    return {
      input: hashMapper(anyToTerraform)(this.inputValue),
      triggers_replace: hashMapper(anyToTerraform)(this.triggersValue),
    };
  }

  /** The resource's attributes for HCL output (`cdktf synth --hcl`). */
  protected synthesizeHclAttributes(): { [name: string]: any } {
    return {
      input: hashMapperHcl(anyToHclTerraform)(this.inputValue),
      triggers_replace: hashMapperHcl(anyToHclTerraform)(this.triggersValue),
    };
  }
}
