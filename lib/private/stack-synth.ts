import { IStackSynthesizer, ISynthesisSession, TerraformStack } from 'cdktf';
import * as path from 'path';
import { ErrorCode } from '../core/errors';

/**
 * The library's one wrapper around a stack's synthesizer (cdktf's public
 * hook, `stack.synthesizer`), installed on first use by what needs it:
 *
 * - **Files after the stack** ({@link afterStackWritten}): local assets are
 *   written into the stack's folder once cdktf has written the stack itself.
 *   A stack whose synthesizer is replaced after such a hook was added fails
 *   validation rather than deploy without its files.
 * - **One resolution per synth** ({@link resolveOncePerSynth}): while the
 *   stack's synthesizer runs, `stack.toTerraform()` resolves the stack once
 *   and returns that JSON to every caller: the checks of the validation phase
 *   (the policy pack) and cdktf's writer after them, so a check sees exactly
 *   the JSON that is written, for the price of one resolution instead of one
 *   per caller. cdktf's synthesizer runs aspects and validations before it
 *   resolves, and nothing between the validations and the write changes the
 *   tree (custom synthesis writes files, it adds no blocks), so the shared
 *   JSON is the one a fresh resolution would give. Outside a synthesizer run
 *   (`Testing.synth`, a direct call) every call resolves afresh: a stack
 *   changed after one synth is resolved anew by the next.
 */
interface StackSynth {
  readonly synthesizer: IStackSynthesizer;
  readonly afterWrite: { readonly what: string; readonly write: (stackDir: string) => void }[];
  /** Set while the synthesizer runs; holds the stack's JSON once resolved. */
  window?: { json?: unknown };
  sharing: boolean;
}

const SYNTH_OF = new WeakMap<TerraformStack, StackSynth>();

function stackSynth(stack: TerraformStack): StackSynth {
  const known = SYNTH_OF.get(stack);
  if (known) return known;
  const inner = stack.synthesizer;
  const state: StackSynth = {
    afterWrite: [],
    sharing: false,
    synthesizer: {
      synthesize(session: ISynthesisSession): void {
        state.window = {};
        try {
          inner.synthesize(session);
        } finally {
          state.window = undefined;
        }
        if (!state.afterWrite.length) return;
        const stackDir = path.join(session.manifest.outdir, session.manifest.forStack(stack).synthesizedStackPath, '..');
        for (const hook of state.afterWrite) hook.write(stackDir);
      },
    },
  };
  SYNTH_OF.set(stack, state);
  stack.synthesizer = state.synthesizer;
  stack.node.addValidation({
    validate: () =>
      stack.synthesizer === state.synthesizer || !state.afterWrite.length
        ? []
        : [
            `[${ErrorCode.PROP_INVALID}] Stack '${stack.node.id}' has local assets (${state.afterWrite.map((h) => h.what).join(', ')}) that its synthesizer writes into the stack folder, ` +
              'but stack.synthesizer was replaced after they were added. Fix: replace the synthesizer before adding constructs that copy files (RuntimeImage, TrainingDataUpload), and call the previous one from yours.',
          ],
  });
  return state;
}

/**
 * Calls `write` with the stack's folder each time the stack is synthesized
 * (`app.synth()`, `Testing.fullSynth`), after cdktf has written the stack.
 * `what` names it in the error of a stack whose synthesizer was replaced.
 */
export function afterStackWritten(stack: TerraformStack, what: string, write: (stackDir: string) => void): void {
  stackSynth(stack).afterWrite.push({ what, write });
}

/**
 * Resolves the stack once per run of its synthesizer (see the module
 * comment). Idempotent. A stack whose synthesizer is replaced afterwards
 * (by one that does not call the previous) resolves once per call again,
 * with the same results.
 */
export function resolveOncePerSynth(stack: TerraformStack): void {
  const state = stackSynth(stack);
  if (state.sharing) return;
  state.sharing = true;
  const resolve = stack.toTerraform;
  // An own property over the class's method: the same result, resolved once while the synthesizer runs.
  Object.defineProperty(stack, 'toTerraform', {
    configurable: true,
    writable: true,
    value: function toTerraform(this: TerraformStack): unknown {
      const window = state.window;
      if (!window) return resolve.call(this);
      if (!('json' in window)) window.json = resolve.call(this);
      return window.json;
    },
  });
}
