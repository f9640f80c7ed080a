import { Naming, NamingParts } from '../core/naming';
import { GcpProjectServices } from './project-services';

/** Props every GCP resource construct of the platform accepts. */
export interface GcpCommonProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The project the resources are created in. */
  readonly projectId: string;
  /** The region the resources are created in (e.g. `europe-west4`). */
  readonly region: string;
  /**
   * Labels put on the resources, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The enabled APIs to depend on, so that resources wait for their API.
   * @default - no dependency: the APIs are assumed to be enabled already
   */
  readonly services?: GcpProjectServices;
}
