/**
 * The web dashboard: a JSON API over the ledger (`/api/dashboard/*`) and the single-page app built
 * from `web/` (`npm run build` → `dist/web`), mounted by `greenprint serve` through `createApp`'s routes.
 */

export type * from './apiTypes.js';
export {
  DASHBOARD_ROLES,
  type DashboardAccess,
  type DashboardKey,
  type DashboardRole,
  dashboardAccessFor,
  dashboardKeySchema,
  SESSION_COOKIE,
} from './dashboardAccess.js';
export { type DashboardOptions, dashboardRoutes } from './dashboardRoutes.js';
export type { Principal } from './filters.js';
export { DEFAULT_WEB_ROOT } from './serveWeb.js';
