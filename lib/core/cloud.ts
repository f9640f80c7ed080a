/** The clouds the platform deploys to. */
export const CLOUDS = ['azure', 'aws', 'gcp'] as const;

/** One of the supported clouds. */
export type Cloud = (typeof CLOUDS)[number];

/** True when `value` names a supported cloud. */
export function isCloud(value: unknown): value is Cloud {
  return typeof value === 'string' && (CLOUDS as readonly string[]).includes(value);
}

/** How each cloud is called in messages. */
export const CLOUD_TITLES: Record<Cloud, string> = { azure: 'Azure', aws: 'AWS', gcp: 'GCP' };

/**
 * How each cloud spells a region: the config and every construct check
 * regions with these (the programmatic name, not the display name).
 */
export const REGION_FORMATS: Record<Cloud, { readonly pattern: RegExp; readonly example: string; readonly accepted: string }> = {
  azure: { pattern: /^[a-z][a-z0-9]*$/, example: 'westeurope, eastus2, swedencentral', accepted: 'an Azure region name in lowercase without spaces, e.g. "westeurope"' },
  aws: { pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/, example: 'eu-west-1, us-east-1', accepted: 'an AWS region code such as "eu-west-1"' },
  gcp: { pattern: /^[a-z]+(-[a-z]+)+\d+$/, example: 'europe-west4, us-central1', accepted: 'a GCP region such as "europe-west4" or "us-central1" (not a zone or multi-region)' },
};
