import { checkContract, formatReport, loadContract } from '../data/contract';
import { readCsvFile } from '../data/csv';
import { EXIT, Io } from '../core/io';
import { numberOpt, parse, required } from './io';

/** Help text of `mlops validate`. */
export const VALIDATE_HELP = `Usage: mlops validate --data <csv> --contract <yaml> [--json] [--max-per-column N]

Checks a CSV file against a data contract and reports every violation
(row, column, value): missing/empty file, wrong header (missing, unexpected,
duplicate columns), wrong types, out-of-range values, missing values in
non-nullable columns, unknown categories, all-null columns. Numbers must be
finite: a value beyond ±1.8e308 (e.g. 1e400) is WRONG_TYPE, the same rule
train and predict apply when they read data. Values, column names and paths
are cut to a readable length in the report.
Writes nothing. Exit code 0 when the data satisfies the contract, 1 when not,
2 on a usage error.

Options:
  --data <csv>          the data file (CSV with a header line)
  --contract <yaml>     the data contract
  --max-per-column N    list at most N violations per column and kind (default 20)
  --json                print the report as JSON
  -h, --help            show this help
`;

/** `mlops validate`. */
export async function validateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, contract: { type: 'string' }, json: { type: 'boolean' }, 'max-per-column': { type: 'string' } });
  if (values.help) {
    io.out(VALIDATE_HELP);
    return EXIT.OK;
  }
  const data = required(values, 'data');
  const contractPath = required(values, 'contract');
  const cap = numberOpt(values, 'max-per-column', { integer: true, min: 1 });
  const { contract } = loadContract(contractPath);
  const table = readCsvFile(data);
  const report = checkContract(table, contract, { maxPerColumn: cap });
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else io.out(formatReport(report));
  return report.ok ? EXIT.OK : EXIT.FAILED;
}
