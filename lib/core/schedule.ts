/**
 * Schedules: the one cron dialect the stack config accepts (five fields,
 * unix-cron as Cloud Scheduler, Azure ML and Vertex AI read it) with an IANA
 * time zone, and its translation to the clouds that read another dialect
 * (EventBridge Scheduler's six-field `cron(…)`).
 */

/** What a field accepts: its range and, for months and weekdays, names. */
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], base: 1 },
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], base: 0 },
] as const;

/** The time zone schedules use when the config names none. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** An example the messages show. */
export const CRON_EXAMPLE = '0 3 * * *';

/**
 * The problem with a five-field cron expression (`minute hour day-of-month
 * month day-of-week`; each field `*`, a number, a name for months and
 * weekdays, a range `a-b`, a list `a,b`, a step `*\/n` or `a-b/n`), or
 * undefined when it is valid. Day-of-week 7 is not accepted (use 0 for Sunday).
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5)
    return `has ${fields.length} field${fields.length === 1 ? '' : 's'}; a schedule has five: minute hour day-of-month month day-of-week (e.g. "${CRON_EXAMPLE}": every day at 03:00)`;
  for (let i = 0; i < 5; i++) {
    const spec = FIELDS[i]!;
    const value = (token: string): number | undefined => {
      if (/^\d+$/.test(token)) return Number(token);
      const names: readonly string[] | undefined = 'names' in spec ? spec.names : undefined;
      const at = names?.indexOf(token.toUpperCase()) ?? -1;
      return at >= 0 ? at + ('base' in spec ? spec.base : 0) : undefined;
    };
    for (const part of fields[i]!.split(',')) {
      const m = /^(\*|([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?)(?:\/(\d+))?$/.exec(part);
      const bad = `field ${i + 1} (${spec.name}) "${fields[i]}" is not valid: use *, a number from ${spec.min} to ${spec.max}${'names' in spec ? ` or a name (${spec.names[0]}…)` : ''}, a range a-b, a list a,b or a step */n`;
      if (!m) return bad;
      for (const token of [m[2], m[3]]) {
        if (token === undefined) continue;
        const v = value(token);
        if (v === undefined || v < spec.min || v > spec.max) return bad;
      }
      if (m[4] !== undefined && Number(m[4]) < 1) return bad;
      if (m[3] !== undefined && value(m[2]!)! > value(m[3])!) return bad;
    }
  }
  return undefined;
}

/** ICU's canonical zone names (without `UTC`): a cheap list, read once. */
let canonicalZones: ReadonlySet<string> | undefined;

/** The problem with an IANA time zone name (`Europe/Berlin`, `UTC`), or undefined. */
export function timeZoneProblem(zone: string): string | undefined {
  // A canonical name is looked up in ICU's list; any other (an alias such as US/Eastern, another case) is
  // tried on a formatter, as before: its first construction loads ICU's formatting data (tens of ms).
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (zone === 'UTC' || canonicalZones.has(zone)) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `"${zone}" is not an IANA time zone name; use one such as UTC, Europe/Berlin or America/New_York`;
  }
}

/**
 * The expression in EventBridge Scheduler's dialect, `cron(minutes hours
 * day-of-month month day-of-week year)`: one of the two day fields must be `?`
 * and weekdays count from 1 (Sunday) instead of 0. Assumes an expression
 * {@link cronProblem} accepts.
 */
export function toEventBridgeCron(expression: string): string {
  const [minute, hour, dom, month, dow] = expression.trim().split(/\s+/) as [string, string, string, string, string];
  const shiftDay = (field: string): string =>
    field
      .split(',')
      .map((part) => part.replace(/^(\d+)(?:-(\d+))?/, (_m, a: string, b?: string) => (b !== undefined ? `${Number(a) + 1}-${Number(b) + 1}` : `${Number(a) + 1}`)))
      .join(',');
  let day = dom;
  let week = dow;
  if (dow === '*') week = '?';
  else if (dom === '*') {
    day = '?';
    week = shiftDay(dow);
  } else {
    // Both set: unix cron runs when either matches; EventBridge cannot say "either": refuse rather than change the meaning.
    throw new Error(`cron "${expression}" sets both day-of-month and day-of-week; EventBridge Scheduler takes one of them: set the other to *.`);
  }
  return `cron(${minute} ${hour} ${day} ${month} ${week} *)`;
}
