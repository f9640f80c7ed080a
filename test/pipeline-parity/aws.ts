import { ComparableStep, Extractor } from './types';

type Step = { Name: string; Type: string; DependsOn?: string[]; Arguments?: Record<string, any>; PropertyFiles?: { PropertyFileName: string }[] };

/** The values after every `flag` in a container argument list. */
function flags(args: readonly string[], name: string): string[] {
  return args.flatMap((a, i) => (a === name && i + 1 < args.length ? [args[i + 1]!] : []));
}

/** The value after `flag` in a container argument list. */
function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The step names a value refers to with `Get Steps.<name>.…` or `Std:JsonGet` (anywhere inside it). */
function referenced(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referenced(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Get' && typeof v === 'string') {
        const m = /^Steps\.([^.]+)\./.exec(v);
        if (m) out.add(m[1]!);
      } else referenced(v, out);
    }
  }
  return out;
}

/**
 * Reads the comparable view out of a SageMaker pipeline definition: the
 * Processing steps that run `pipeline step` (top level and inside Condition
 * branches, in definition order; the batch scoring step, `--uses predict`, is
 * not a plan step), each one's kind, name and params from its container
 * arguments, its predecessors from `DependsOn` (which must cover every step
 * its arguments reference), and the gate: the step whose property file a
 * Condition reads with `Std:JsonGet … Path passed`.
 */
export const extractAws: Extractor = (definition) => {
  const top = definition.Steps as Step[];
  const flat: Step[] = [];
  let gate: string | undefined;
  const walk = (steps: readonly Step[]): void => {
    for (const s of steps) {
      if (s.Type === 'Condition') {
        for (const c of s.Arguments!.Conditions as any[]) {
          const jg = c.LeftValue?.['Std:JsonGet'];
          if (jg?.Path === 'passed' && c.RightValue === true) gate = /^Steps\.([^.]+)\.PropertyFiles\./.exec(jg.PropertyFile.Get)?.[1];
        }
        walk(s.Arguments!.IfSteps ?? []);
        walk(s.Arguments!.ElseSteps ?? []);
      } else flat.push(s);
    }
  };
  walk(top);
  const planSteps = flat.filter((s) => {
    const args: string[] = s.Arguments?.AppSpecification?.ContainerArguments ?? [];
    return s.Type === 'Processing' && args[0] === 'pipeline' && args[1] === 'step' && flag(args, '--uses') !== 'predict';
  });
  const names = new Set(planSteps.map((s) => s.Name));
  const steps: ComparableStep[] = planSteps.map((s) => {
    const args: string[] = s.Arguments!.AppSpecification.ContainerArguments;
    if (flag(args, '--name') !== s.Name) throw new Error(`step ${s.Name}: --name is ${flag(args, '--name')}`);
    const after = s.DependsOn ?? [];
    for (const r of referenced(s.Arguments)) if (!after.includes(r)) throw new Error(`step ${s.Name} reads step ${r} but does not depend on it`);
    // Each --when path is a file in a ProcessingInput's folder: the output of the step its S3Uri reads.
    const when = flags(args, '--when').map((file) => {
      const input = (s.Arguments!.ProcessingInputs as any[]).find((i) => file.startsWith(`${i.S3Input.LocalPath}/`));
      const guard = input ? referenced(input.S3Input.S3Uri) : new Set<string>();
      if (guard.size !== 1) throw new Error(`step ${s.Name}: --when ${file} is not a file of one step's output`);
      return [...guard][0]!;
    });
    return { name: s.Name, uses: flag(args, '--uses')!, after: after.filter((a) => names.has(a)), params: JSON.parse(flag(args, '--params')!), when };
  });
  return { steps, gate };
};
