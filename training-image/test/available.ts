/**
 * Checks that need something the machine may lack (a dataset, the compiled
 * worker): declared with jest's `test` when it is there, else with
 * `test.skip` after printing why — so they show as skipped, never as passed.
 */
import { DatasetName, findDataset, FindDatasetOptions } from '../bench/datasets';

/** `test` when `available`, else `test.skip` (printing `SKIPPED <what>: <reason>`). */
export function testWhen(available: boolean, what: string, reason: string): jest.It {
  if (available) return test;
  console.log(`SKIPPED ${what}: ${reason}`);
  return test.skip;
}

/**
 * The dataset's file (shared folder or the copy in examples/, see
 * bench/datasets.ts) and the `test` to declare the checks that need it with:
 * `test.skip`, after printing why, when it is not available.
 */
export function datasetTest(name: DatasetName, what: string, o: FindDatasetOptions = {}): { file: string; test: jest.It } {
  const d = findDataset(name, o);
  return { file: d.file ?? '', test: testWhen(d.file !== null, what, d.reason ?? '') };
}
