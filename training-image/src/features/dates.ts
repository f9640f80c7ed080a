/** The date features the pipeline can derive from a datetime column. */
export const DATE_PARTS = ['hour', 'weekday', 'month', 'season', 'is_weekend', 'year', 'month_year'] as const;

/** One date feature name. */
export type DatePart = (typeof DATE_PARTS)[number];

/**
 * One date feature of an epoch-ms time (UTC): hour 0–23; weekday 0–6 with
 * 0 = Sunday; month 1–12; season 0 winter (Dec–Feb), 1 spring, 2 summer,
 * 3 autumn (meteorological, northern hemisphere); is_weekend 0/1; year;
 * month_year = year × 12 + month − 1 (a running month index). NaN stays NaN.
 */
export function datePart(ms: number, part: DatePart): number {
  if (!Number.isFinite(ms)) return NaN;
  const d = new Date(ms);
  switch (part) {
    case 'hour':
      return d.getUTCHours();
    case 'weekday':
      return d.getUTCDay();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'season':
      return Math.floor(((d.getUTCMonth() + 1) % 12) / 3);
    case 'is_weekend': {
      const w = d.getUTCDay();
      return w === 0 || w === 6 ? 1 : 0;
    }
    case 'year':
      return d.getUTCFullYear();
    case 'month_year':
      return d.getUTCFullYear() * 12 + d.getUTCMonth();
  }
}
