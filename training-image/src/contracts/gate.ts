import { show } from '../core/text';
import { notDefinedText } from '../eval/metrics';
import { contractError } from './errors';
import { GateBound } from './settings';

/**
 * The training quality gate (`--gate`, `MLOPS_GATE`, the `gate` hyperparameter:
 * `r2>=0.8,rmse<=70`): bounds on the holdout metrics of the model just trained,
 * checked before the model is written. One check for every way `mlops train`
 * runs — locally and under each training contract — so a model that misses a
 * bound is never written, published or registered.
 */

/** Formats bounds back as `r2>=0.8,rmse<=70`. */
export function formatGate(bounds: readonly GateBound[]): string {
  return bounds.map((b) => `${b.metric}${b.bound === 'min' ? '>=' : '<='}${b.value}`).join(',');
}

/**
 * Checks every bound against the holdout metrics (`metrics.holdout` of
 * training: numbers, plus `notDefined` — metric → why it is not defined, e.g.
 * MAPE on a target with zeros). Returns the line to log when every bound is
 * met; throws `QUALITY_GATE` naming each miss otherwise.
 */
export function checkGate(bounds: readonly GateBound[], holdout: Readonly<Record<string, unknown>> | null): string {
  const h = holdout ?? {};
  const notDefined = (h.notDefined && typeof h.notDefined === 'object' ? h.notDefined : {}) as Record<string, unknown>;
  const recorded = Object.keys(h).filter((k) => typeof h[k] === 'number' && !['rows', 'fraction'].includes(k));
  const met: string[] = [];
  const misses: string[] = [];
  for (const b of bounds) {
    const v = Object.hasOwn(h, b.metric) ? h[b.metric] : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      const why = Object.hasOwn(notDefined, b.metric) ? notDefined[b.metric] : undefined;
      misses.push(
        typeof why === 'string'
          ? notDefinedText(b.metric, why)
          : `${b.metric}: no holdout value (the model recorded ${recorded.join(', ') || 'no holdout metrics; set holdout > 0'})`,
      );
      continue;
    }
    const ok = b.bound === 'min' ? v >= b.value : v <= b.value;
    const text = `${b.metric} ${v.toPrecision(4)} ${ok ? (b.bound === 'min' ? '≥' : '≤') : b.bound === 'min' ? '<' : '>'} ${b.bound === 'min' ? 'minimum' : 'maximum'} ${b.value}`;
    (ok ? met : misses).push(text);
  }
  if (misses.length > 0) {
    throw contractError(
      'QUALITY_GATE',
      'gate',
      `the model misses the quality gate on its holdout metrics: ${misses.join('; ')}${met.length ? ` (met: ${met.join('; ')})` : ''}. Gate: ${show(formatGate(bounds), 200)}. It is not published (a model already at the output stays as it was); improve the model or change the gate.`,
    );
  }
  return `quality gate passed: ${met.join('; ')}`;
}
