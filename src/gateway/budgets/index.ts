export {
  type BudgetConfig,
  type BudgetPolicy,
  type BudgetPolicyOptions,
  type BudgetUsage,
  budgetPolicy,
} from './budgetPolicy.js';
export {
  BUDGET_HEADER,
  type BudgetUnit,
  budgetExceededResponse,
  type Refusal,
} from './budgetResponses.js';
export type { BudgetStore, Reservation } from './budgetStore.js';
export { budgetsFromConfig, type ConfiguredBudgets } from './budgetsFromConfig.js';
export { MemoryBudgetStore, type MemoryBudgetStoreOptions } from './memoryBudgetStore.js';
export { PERIODS, type Period, type PeriodWindow, periodWindow } from './periodWindow.js';
export { RedisBudgetStore, type RedisBudgetStoreOptions } from './redisBudgetStore.js';
export { DEFAULT_RESERVED_OUTPUT_TOKENS, reservationUnits } from './reservationUnits.js';
