import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The PostgreSQL the tests use: the real server on 127.0.0.1:5432 (trust auth), database `test`. */
export const PG_URL = process.env.GREENPRINT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  url: string;
  drop(): Promise<void>;
}

/** A fresh empty ledger location per call: a SQLite file in a temp dir, or a new PostgreSQL schema. */
export const DIALECTS: { name: 'sqlite' | 'postgres'; fresh(): Promise<TestDb> }[] = [
  {
    name: 'sqlite',
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'gp-ledger-'));
      return { url: join(dir, 'ledger.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    async fresh() {
      const schema = `gp_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      return {
        url: `${PG_URL}?options=-c%20search_path%3D${schema}`,
        async drop() {
          const c = new pg.Client({ connectionString: PG_URL });
          await c.connect();
          await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await c.end();
        },
      };
    },
  },
];
