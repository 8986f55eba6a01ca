export {
  type Connection,
  connect,
  DATABASE_ENV,
  DEFAULT_DATABASE,
  type DialectName,
  resolveDatabaseUrl,
} from './connect.js';
export type { Database } from './database.js';
export { newEventId } from './ids.js';
export { Ledger, type LedgerOptions, type RecomputeResult, type Totals } from './ledger.js';
export {
  GROUP_BY,
  type GroupBy,
  hourOf,
  type Report,
  type ReportQuery,
  type ReportRow,
  report,
  scopeLabel,
} from './report.js';
export type { RecordFn, RecordResult } from './types.js';
export {
  type Inventory,
  inventory,
  type ProcessMap,
  type ProcessStage,
  processMap,
  SCI_UNITS,
  type SciRow,
  type SciUnit,
  sci,
} from './views.js';
