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
