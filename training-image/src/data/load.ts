import { Contract, contractReadTypes, checkContract, loadContract, ValidationReport } from './contract';
import { readCsvFile, CsvTable } from './csv';
import { Frame, ReadAs, toFrame } from './frame';

/** A data file read for training or evaluation, with its contract check. */
export interface LoadedData {
  readonly table: CsvTable;
  readonly frame: Frame | null;
  readonly contract: Contract | null;
  readonly contractText: string | null;
  readonly report: ValidationReport | null;
}

/** Reads a CSV (and checks it against a contract if given); the frame is null when the contract check failed. */
export function loadData(dataPath: string, contractPath?: string, extraTypes: Record<string, ReadAs> = {}): LoadedData {
  const c = contractPath ? loadContract(contractPath) : null;
  const table = readCsvFile(dataPath);
  if (c) {
    const report = checkContract(table, c.contract);
    if (!report.ok) return { table, frame: null, contract: c.contract, contractText: c.text, report };
    return { table, frame: toFrame(table, { ...extraTypes, ...contractReadTypes(c.contract) }), contract: c.contract, contractText: c.text, report };
  }
  return { table, frame: toFrame(table, extraTypes), contract: null, contractText: null, report: null };
}
