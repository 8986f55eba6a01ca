import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

export type DialectName = 'sqlite' | 'postgres';

/** The embedded default: a SQLite file under the working directory. */
export const DEFAULT_DATABASE = './.greenprint/ledger.db';
export const DATABASE_ENV = 'GREENPRINT_DATABASE_URL';

export interface Connection {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where the ledger lives, with any password removed (safe to print). */
  location: string;
  /** Largest number of bound parameters one statement may carry. */
  maxParameters: number;
}

/**
 * Resolves the database once: the explicit `url` (`--db`), then GREENPRINT_DATABASE_URL, then the
 * SQLite default. `postgres://` / `postgresql://` select PostgreSQL; anything else is a SQLite path
 * (`sqlite:` or `file:` prefixes allowed).
 */
export function resolveDatabaseUrl(url?: string, env: NodeJS.ProcessEnv = process.env): string {
  return url ?? env[DATABASE_ENV] ?? DEFAULT_DATABASE;
}

let int8ParserSet = false;

export function connect(url: string): Connection {
  if (/^postgres(ql)?:\/\//.test(url)) {
    if (!int8ParserSet) {
      // bigint columns hold counts and epoch milliseconds, all well inside 2^53.
      pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
      int8ParserSet = true;
    }
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    return {
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      dialect: 'postgres',
      location: url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@'),
      maxParameters: 65_535,
    };
  }
  const path = url.replace(/^(sqlite|file):(\/\/)?/, '');
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('busy_timeout = 5000');
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) }),
    dialect: 'sqlite',
    location: path === ':memory:' ? path : resolve(path),
    maxParameters: 32_766,
  };
}

/**
 * Kysely's SQLite driver prepares every statement it runs; the ledger runs the same few large
 * INSERTs thousands of times, so prepared statements are kept by SQL text (bounded).
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = sqlite.prepare(text);
        if (cache.size >= 64) cache.delete(cache.keys().next().value as string);
        cache.set(text, stmt);
      }
      return stmt as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}
