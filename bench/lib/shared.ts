import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * The project's reference data (../shared/data beside the checkout, or GREENPRINT_SHARED_DATA): used
 * by tests and benchmarks only, never shipped. A user's clone has none: the suites that need it are
 * skipped there, and CI sets GREENPRINT_REQUIRE_SHARED=1 so that they always run.
 */
export const SHARED_DATA: URL = process.env.GREENPRINT_SHARED_DATA
  ? pathToFileURL(`${process.env.GREENPRINT_SHARED_DATA.replace(/\/+$/, '')}/`)
  : new URL('../../../shared/data/', import.meta.url);

export const HAS_SHARED_DATA = existsSync(SHARED_DATA);

if (!HAS_SHARED_DATA && process.env.GREENPRINT_REQUIRE_SHARED === '1') {
  throw new Error(
    `GREENPRINT_REQUIRE_SHARED=1 but the reference data is missing at ${SHARED_DATA.pathname}.`,
  );
}
