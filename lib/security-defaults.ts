import { AWS_SECURITY_DEFAULTS } from './aws/security-defaults';
import { AZURE_SECURITY_DEFAULTS } from './azure/security-defaults';
import { SecurityDefault } from './core/security-defaults';
import { GCP_SECURITY_DEFAULTS } from './gcp/security-defaults';

/** Every secure default the platform applies, on every cloud, with its rule ids. */
export const SECURITY_DEFAULTS: readonly SecurityDefault[] = [...AZURE_SECURITY_DEFAULTS, ...AWS_SECURITY_DEFAULTS, ...GCP_SECURITY_DEFAULTS];
