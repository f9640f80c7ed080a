/**
 * A short JSON text of `v` for a progress line or a report note, about `max`
 * characters long, that is still valid JSON: cut at whole values, never
 * inside one. An array keeps its first elements and ends with a string
 * `"… N more"`; an object keeps its first keys and ends with `"…": "N more keys"`;
 * a long string is shortened and ends with `…`. Numbers, booleans and null are
 * kept whole.
 */
export function previewJson(v: unknown, max = 300): string {
  return build(v, Math.max(max, 16));
}

function build(v: unknown, budget: number): string {
  const full = JSON.stringify(v);
  if (full === undefined) return 'null';
  if (full.length <= budget) return full;
  if (typeof v === 'string') {
    // Shorten until the quoted, escaped text fits (escapes make it longer than the string).
    let keep = Math.max(0, budget - 3);
    let out = JSON.stringify(`${v.slice(0, keep)}…`);
    while (out.length > budget && keep > 0) {
      keep = Math.max(0, keep - Math.max(1, out.length - budget));
      out = JSON.stringify(`${v.slice(0, keep)}…`);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const parts: string[] = [];
    let used = 2;
    for (let i = 0; i < v.length; i++) {
      const marker = JSON.stringify(`… ${v.length - i - 1} more`).length + 1;
      const room = budget - used - (i < v.length - 1 ? marker : 0) - (parts.length ? 1 : 0);
      if (room < 4) break;
      const p = build(v[i], room);
      if (p.length > room) break;
      parts.push(p);
      used += p.length + (parts.length > 1 ? 1 : 0);
    }
    if (parts.length < v.length) parts.push(JSON.stringify(`… ${v.length - parts.length} more`));
    return `[${parts.join(',')}]`;
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => JSON.stringify(x) !== undefined);
    const parts: string[] = [];
    let used = 2;
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i]!;
      const key = `${JSON.stringify(k)}:`;
      const marker = `"…":${JSON.stringify(`${entries.length - i - 1} more keys`)}`.length + 1;
      const room = budget - used - key.length - (i < entries.length - 1 ? marker : 0) - (parts.length ? 1 : 0);
      if (room < 4) break;
      const p = build(x, room);
      if (p.length > room) break;
      parts.push(key + p);
      used += key.length + p.length + (parts.length > 1 ? 1 : 0);
    }
    if (parts.length < entries.length) parts.push(`"…":${JSON.stringify(`${entries.length - parts.length} more keys`)}`);
    return `{${parts.join(',')}}`;
  }
  return full; // a number, boolean or null is never cut
}
