import type { Migration, MigrationProvider } from 'kysely';
import * as batches from './2026-11-26-batches.js';
import * as initial from './2026-11-26-initial.js';

/** Migrations by date-prefixed name, imported statically so they work from src/ and dist/ alike. */
export const migrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { '2026-11-26-initial': initial, '2026-11-26-batches': batches };
  },
};
