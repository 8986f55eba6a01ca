import { CompiledQuery, type Kysely, Migrator, sql, type Transaction } from 'kysely';
import { type Estimator, GreenprintError, type Impact, type UsageEvent } from '../core/index.js';
import { type Connection, connect, DATABASE_ENV, type DialectName } from './connect.js';
import {
  type Database,
  type EventsTable,
  type LedgerRow,
  NUMERIC_KEYS,
  ROLLUP_KEYS,
  ROLLUP_MEASURES,
} from './database.js';
import { newEventId } from './ids.js';
import { migrationProvider } from './migrations/index.js';
import type { RecordResult } from './types.js';

const HOUR_MS = 3_600_000;

/** Column order of the events table, fixed so one compiled INSERT serves every batch. */
const EVENT_COLUMNS: (keyof EventsTable)[] = [
  'id',
  'ts_ms',
  'project',
  'pipeline',
  'stage',
  'run',
  'model',
  'methodology_version',
  'energy_wh_low',
  'energy_wh_mid',
  'energy_wh_high',
  'carbon_g_mid',
  'water_ml_mid',
  'embodied_g_mid',
  'cost_usd',
  'event_json',
];

export interface LedgerOptions {
  /** Database URL or SQLite path (see `resolveDatabaseUrl`). */
  url: string;
  estimator: Estimator;
  /** Clock for events without a start time; injectable for tests. */
  now?: () => number;
}

/**
 * The append-only ledger of usage events and their impacts, with rollups kept on ingest so
 * reports never scan raw events. One class for SQLite and PostgreSQL through Kysely.
 */
export class Ledger {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly location: string;
  readonly estimator: Estimator;
  private readonly conn: Connection;
  private readonly now: () => number;
  /** Compiled statements (event inserts, rollup upserts) by table and row count. */
  private readonly statements = new Map<string, string>();

  private constructor(conn: Connection, estimator: Estimator, now: () => number) {
    this.conn = conn;
    this.db = conn.db;
    this.dialect = conn.dialect;
    this.location = conn.location;
    this.estimator = estimator;
    this.now = now;
  }

  /** Connects and migrates to the latest schema. */
  static async open(options: LedgerOptions): Promise<Ledger> {
    const ledger = new Ledger(connect(options.url), options.estimator, options.now ?? Date.now);
    await ledger.migrate();
    return ledger;
  }

  async migrate(): Promise<void> {
    // On PostgreSQL the migration tables live in the connection's own schema (search_path), so
    // several ledgers can share one database.
    let schema: string | undefined;
    try {
      schema =
        this.dialect === 'postgres'
          ? (await sql<{ s: string }>`select current_schema() as s`.execute(this.db)).rows[0]?.s
          : undefined;
    } catch (cause) {
      throw new GreenprintError(
        'ledger_unavailable',
        `Cannot reach the ledger at ${this.location}: ${(cause as Error).message}. Check --db or ${DATABASE_ENV}.`,
        {},
        { cause },
      );
    }
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider,
      ...(schema ? { migrationTableSchema: schema } : {}),
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new GreenprintError(
        'ledger_unavailable',
        `Ledger migration ${failed?.migrationName ?? ''} failed on ${this.location}: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /**
   * Estimates and stores events in one transaction per call: each event whose id is new is stored
   * and added to the rollups; a known id is skipped; an event that cannot be estimated is rejected
   * with its reason and the rest still land.
   */
  async record(input: UsageEvent | UsageEvent[]): Promise<RecordResult> {
    const events = Array.isArray(input) ? input : [input];
    const rows: LedgerRow[] = [];
    const rejected: RecordResult['rejected'] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as UsageEvent;
      try {
        rows.push(this.toRow(event, this.estimator.estimate(event)));
      } catch (error) {
        if (!(error instanceof GreenprintError)) throw error;
        rejected.push({
          index: i,
          ...(event.id ? { id: event.id } : {}),
          code: error.code,
          reason: error.message,
        });
      }
    }
    if (rows.length === 0) return { inserted: 0, duplicates: 0, rejected };
    const inserted = await this.db.transaction().execute(async (trx) => {
      const fresh = await this.insertEvents(trx, rows);
      await this.addToRollups(trx, fresh);
      return fresh.length;
    });
    return { inserted, duplicates: rows.length - inserted, rejected };
  }

  /** The stored row for one event: dimensions, units, the impact's ranges and the event itself. */
  toRow(event: UsageEvent, impact: Impact): LedgerRow {
    const ts = event.startTime ? Date.parse(event.startTime) : this.now();
    const a = impact.assumptions;
    const market = impact.carbonGCO2e.market ?? impact.carbonGCO2e.location;
    const requests = event.requests ?? 1;
    return {
      id: event.id ?? newEventId(ts),
      ts_ms: ts,
      hour: Math.floor(ts / HOUR_MS),
      organisation: event.organisation ?? '',
      project: event.project ?? '',
      pipeline: event.pipeline ?? '',
      stage: event.stage ?? '',
      run: event.run ?? '',
      team: event.team ?? '',
      provider: impact.model.provider,
      model: impact.model.id,
      region: a.grid.zone,
      deployment: a.deployment,
      scope: impact.ghg.operational.scope,
      scope_category: impact.ghg.operational.category ?? 0,
      embodied_scope: impact.ghg.embodied.scope,
      embodied_category: impact.ghg.embodied.category ?? 0,
      requests,
      input_tokens: event.inputTokens ?? 0,
      output_tokens: event.outputTokens ?? event.reasoningTokens ?? 0,
      cached_tokens: event.cachedInputTokens ?? 0,
      reasoning_tokens: event.reasoningTokens ?? 0,
      images: a.units.images ?? 0,
      audio_seconds: a.units.audioSeconds ?? 0,
      video_seconds: a.units.videoSeconds ?? 0,
      measured: event.measuredEnergy ? 1 : 0,
      has_market: impact.carbonGCO2e.market ? 1 : 0,
      cost_usd: impact.costUsd?.mid ?? null,
      grid_g_per_kwh: a.grid.gPerKwh,
      grid_source: a.grid.source,
      grid_year: a.grid.year,
      methodology_version: impact.methodologyVersion,
      event_json: JSON.stringify(event),
      energy_wh_low: impact.energyWh.low,
      energy_wh_mid: impact.energyWh.mid,
      energy_wh_high: impact.energyWh.high,
      carbon_g_low: impact.carbonGCO2e.location.low,
      carbon_g_mid: impact.carbonGCO2e.location.mid,
      carbon_g_high: impact.carbonGCO2e.location.high,
      // Without a supplier factor the market-based figure falls back to location-based (no residual-mix data).
      carbon_market_g_low: market.low,
      carbon_market_g_mid: market.mid,
      carbon_market_g_high: market.high,
      water_ml_low: impact.waterMl.low,
      water_ml_mid: impact.waterMl.mid,
      water_ml_high: impact.waterMl.high,
      embodied_g_low: impact.embodiedGCO2e.low,
      embodied_g_mid: impact.embodiedGCO2e.mid,
      embodied_g_high: impact.embodiedGCO2e.high,
    };
  }

  /** Inserts rows, skipping known ids; returns the rows actually stored. */
  private async insertEvents(trx: Transaction<Database>, rows: LedgerRow[]): Promise<LedgerRow[]> {
    const perChunk = Math.floor(Math.min(this.conn.maxParameters, 30_000) / EVENT_COLUMNS.length);
    const stored = new Set<string>();
    if (this.dialect === 'postgres') {
      // One array parameter per column (unnest) instead of one parameter per cell: PostgreSQL
      // parses and binds a 5,000-row batch several times faster this way.
      const result = await sql<{
        id: string;
      }>`insert into events (${sql.join(EVENT_COLUMNS.map((c) => sql.ref(c)))})
        select * from unnest(${sql.join(
          EVENT_COLUMNS.map((c) => {
            const type = pgType(c);
            return sql`${pgBinaryArray(
              rows.map((r) => r[c]),
              type,
            )}::${sql.raw(type)}[]`;
          }),
        )})
        on conflict (id) do nothing returning id`.execute(trx);
      for (const r of result.rows) stored.add(r.id);
    } else {
      for (let start = 0; start < rows.length; start += perChunk) {
        const chunk = rows.slice(start, start + perChunk);
        const params: unknown[] = [];
        for (const row of chunk) for (const col of EVENT_COLUMNS) params.push(row[col]);
        const result = await trx.executeQuery<{ id: string }>(
          CompiledQuery.raw(this.insertSql(chunk.length), params),
        );
        for (const r of result.rows) stored.add(r.id);
      }
    }
    // Within one batch a repeated id is stored once: keep the first occurrence only.
    const fresh: LedgerRow[] = [];
    for (const row of rows) {
      if (stored.delete(row.id)) fresh.push(row);
    }
    return fresh;
  }

  /** The parameterised multi-row INSERT … ON CONFLICT DO NOTHING RETURNING id, compiled by Kysely once per size. */
  private insertSql(count: number): string {
    let text = this.statements.get(`events:${count}`);
    if (!text) {
      const template = Object.fromEntries(EVENT_COLUMNS.map((c) => [c, null])) as unknown as EventsTable;
      text = this.db
        .insertInto('events')
        .values(Array.from({ length: count }, () => template))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .compile().sql;
      this.statements.set(`events:${count}`, text);
    }
    return text;
  }

  /** Folds stored rows into the hourly rollups, the run/stage table and the factor table. */
  private async addToRollups(trx: Transaction<Database>, rows: LedgerRow[]): Promise<void> {
    if (rows.length === 0) return;
    // Accumulate in flat number arrays: one allocation per group, monomorphic arithmetic per event.
    const rollups = new Map<string, { key: (string | number)[]; m: Float64Array }>();
    const runs = new Map<string, { key: string[]; first: number; m: Float64Array }>();
    const factors = new Map<
      string,
      { key: (string | number)[]; min: number; max: number; events: number; energy: number }
    >();
    for (const r of rows) {
      const rk = `${r.hour}\u0001${r.organisation}\u0001${r.project}\u0001${r.pipeline}\u0001${r.stage}\u0001${r.model}\u0001${r.provider}\u0001${r.region}\u0001${r.deployment}\u0001${r.scope}\u0001${r.scope_category}\u0001${r.embodied_scope}\u0001${r.embodied_category}`;
      let agg = rollups.get(rk);
      if (!agg) {
        agg = {
          key: [
            r.hour,
            r.organisation,
            r.project,
            r.pipeline,
            r.stage,
            r.model,
            r.provider,
            r.region,
            r.deployment,
            r.scope,
            r.scope_category,
            r.embodied_scope,
            r.embodied_category,
          ],
          m: new Float64Array(ROLLUP_MEASURES.length),
        };
        rollups.set(rk, agg);
      }
      // Order of ROLLUP_MEASURES.
      const m = agg.m;
      add(m, 0, 1);
      add(m, 1, r.requests);
      add(m, 2, r.input_tokens);
      add(m, 3, r.output_tokens);
      add(m, 4, r.cached_tokens);
      add(m, 5, r.reasoning_tokens);
      add(m, 6, r.images);
      add(m, 7, r.audio_seconds);
      add(m, 8, r.video_seconds);
      add(m, 9, r.measured);
      add(m, 10, r.has_market);
      add(m, 11, r.cost_usd ?? 0);
      add(m, 12, r.cost_usd === null ? 0 : 1);
      add(m, 13, r.energy_wh_low);
      add(m, 14, r.energy_wh_mid);
      add(m, 15, r.energy_wh_high);
      add(m, 16, r.carbon_g_low);
      add(m, 17, r.carbon_g_mid);
      add(m, 18, r.carbon_g_high);
      add(m, 19, r.carbon_market_g_low);
      add(m, 20, r.carbon_market_g_mid);
      add(m, 21, r.carbon_market_g_high);
      add(m, 22, r.water_ml_low);
      add(m, 23, r.water_ml_mid);
      add(m, 24, r.water_ml_high);
      add(m, 25, r.embodied_g_low);
      add(m, 26, r.embodied_g_mid);
      add(m, 27, r.embodied_g_high);

      if (r.pipeline || r.run) {
        const k = `${r.project}\u0001${r.pipeline}\u0001${r.run}\u0001${r.stage}`;
        let rs = runs.get(k);
        if (!rs) {
          rs = {
            key: [r.project, r.pipeline, r.run, r.stage],
            first: r.ts_ms,
            m: new Float64Array(RUN_MEASURES.length),
          };
          runs.set(k, rs);
        }
        if (r.ts_ms < rs.first) rs.first = r.ts_ms;
        // Order of RUN_MEASURES.
        const q = rs.m;
        add(q, 0, 1);
        add(q, 1, r.requests);
        add(q, 2, r.energy_wh_low);
        add(q, 3, r.energy_wh_mid);
        add(q, 4, r.energy_wh_high);
        add(q, 5, r.carbon_g_low);
        add(q, 6, r.carbon_g_mid);
        add(q, 7, r.carbon_g_high);
        add(q, 8, r.embodied_g_mid);
      }

      const year = r.grid_year ?? 0;
      const fk = `${r.region}\u0001${r.grid_source}\u0001${year}\u0001${r.methodology_version}`;
      let f = factors.get(fk);
      if (!f) {
        f = {
          key: [r.region, r.grid_source, year, r.methodology_version],
          min: r.grid_g_per_kwh,
          max: r.grid_g_per_kwh,
          events: 0,
          energy: 0,
        };
        factors.set(fk, f);
      }
      if (r.grid_g_per_kwh < f.min) f.min = r.grid_g_per_kwh;
      if (r.grid_g_per_kwh > f.max) f.max = r.grid_g_per_kwh;
      f.events += 1;
      f.energy += r.energy_wh_mid;
    }
    await upsertAdding(
      trx,
      this.dialect === 'postgres',
      this.statements,
      'rollups',
      [...ROLLUP_KEYS, ...ROLLUP_MEASURES],
      sortedValues(rollups).map((a) => concat(a.key, a.m)),
      ROLLUP_KEYS,
      ROLLUP_MEASURES,
      [],
    );
    await upsertAdding(
      trx,
      this.dialect === 'postgres',
      this.statements,
      'run_stages',
      ['project', 'pipeline', 'run', 'stage', 'first_ts_ms', ...RUN_MEASURES],
      sortedValues(runs).map((a) => concat([...a.key, a.first], a.m)),
      ['project', 'pipeline', 'run', 'stage'],
      RUN_MEASURES,
      [['first_ts_ms', 'min']],
    );
    await upsertAdding(
      trx,
      this.dialect === 'postgres',
      this.statements,
      'factors',
      [
        'zone',
        'source',
        'year',
        'methodology_version',
        'g_per_kwh_min',
        'g_per_kwh_max',
        'events',
        'energy_wh_mid',
      ],
      sortedValues(factors).map((f) => [...f.key, f.min, f.max, f.events, f.energy]),
      ['zone', 'source', 'year', 'methodology_version'],
      ['events', 'energy_wh_mid'],
      [
        ['g_per_kwh_min', 'min'],
        ['g_per_kwh_max', 'max'],
      ],
    );
  }

  /**
   * Re-estimates every stored event with the current estimator, rewrites its figures and rebuilds
   * the rollups in one transaction, so a report never sees half a recompute. Returns what moved.
   */
  async recompute(onProgress?: (done: number) => void): Promise<RecomputeResult> {
    return this.db.transaction().execute(async (trx) => {
      const before = await totals(trx);
      await trx.deleteFrom('rollups').execute();
      await trx.deleteFrom('run_stages').execute();
      await trx.deleteFrom('factors').execute();
      let after = '';
      let done = 0;
      let changed = 0;
      const failed: { id: string; reason: string }[] = [];
      for (;;) {
        const page = await trx
          .selectFrom('events')
          .select(['id', 'event_json', 'energy_wh_mid', 'carbon_g_mid', 'methodology_version'])
          .where('id', '>', after)
          .orderBy('id')
          .limit(5000)
          .execute();
        if (page.length === 0) break;
        const rows: LedgerRow[] = [];
        for (const stored of page) {
          const event = JSON.parse(stored.event_json) as UsageEvent;
          try {
            const row = this.toRow({ ...event, id: stored.id }, this.estimator.estimate(event));
            if (
              Math.abs(row.energy_wh_mid - stored.energy_wh_mid) > 1e-9 * Math.max(1, stored.energy_wh_mid) ||
              Math.abs(row.carbon_g_mid - stored.carbon_g_mid) > 1e-9 * Math.max(1, stored.carbon_g_mid) ||
              row.methodology_version !== stored.methodology_version
            ) {
              changed++;
              await trx
                .updateTable('events')
                .set({
                  methodology_version: row.methodology_version,
                  energy_wh_low: row.energy_wh_low,
                  energy_wh_mid: row.energy_wh_mid,
                  energy_wh_high: row.energy_wh_high,
                  carbon_g_mid: row.carbon_g_mid,
                  water_ml_mid: row.water_ml_mid,
                  embodied_g_mid: row.embodied_g_mid,
                  cost_usd: row.cost_usd,
                })
                .where('id', '=', stored.id)
                .execute();
            }
            rows.push(row);
          } catch (error) {
            if (!(error instanceof GreenprintError)) throw error;
            // An event the current methodology cannot estimate keeps its stored figures out of the totals.
            failed.push({ id: stored.id, reason: error.message });
          }
        }
        await this.addToRollups(trx, rows);
        done += page.length;
        onProgress?.(done);
        after = (page[page.length - 1] as { id: string }).id;
      }
      return { events: done, changed, failed, before, after: await totals(trx) };
    });
  }
}

export interface Totals {
  events: number;
  energyWhMid: number;
  carbonGMid: number;
  waterMlMid: number;
  embodiedGMid: number;
}

export interface RecomputeResult {
  events: number;
  changed: number;
  failed: { id: string; reason: string }[];
  before: Totals;
  after: Totals;
}

async function totals(db: Kysely<Database> | Transaction<Database>): Promise<Totals> {
  const r = await db
    .selectFrom('rollups')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('events'), eb.lit(0)).as('events'),
      eb.fn.coalesce(eb.fn.sum<number>('energy_wh_mid'), eb.lit(0)).as('energy'),
      eb.fn.coalesce(eb.fn.sum<number>('carbon_g_mid'), eb.lit(0)).as('carbon'),
      eb.fn.coalesce(eb.fn.sum<number>('water_ml_mid'), eb.lit(0)).as('water'),
      eb.fn.coalesce(eb.fn.sum<number>('embodied_g_mid'), eb.lit(0)).as('embodied'),
    ])
    .executeTakeFirstOrThrow();
  return {
    events: Number(r.events),
    energyWhMid: Number(r.energy),
    carbonGMid: Number(r.carbon),
    waterMlMid: Number(r.water),
    embodiedGMid: Number(r.embodied),
  };
}

/**
 * Map values in key order: concurrent batches then lock rollup rows in the same order, so two
 * overlapping `record` calls on PostgreSQL wait for each other instead of deadlocking.
 */
function sortedValues<V>(map: Map<string, V>): V[] {
  return [...map.keys()].sort().map((k) => map.get(k) as V);
}

/** `[...head, ...tail]` without the iterator protocol a spread of a typed array goes through. */
function concat(head: readonly unknown[], tail: Float64Array): unknown[] {
  const out = new Array<unknown>(head.length + tail.length);
  for (let i = 0; i < head.length; i++) out[i] = head[i];
  for (let i = 0; i < tail.length; i++) out[head.length + i] = tail[i];
  return out;
}

/** Text columns of the ledger tables: the text rollup dimensions plus event, run and factor keys. */
const TEXT_COLUMNS: ReadonlySet<string> = new Set([
  ...ROLLUP_KEYS.filter((k) => !(NUMERIC_KEYS as readonly string[]).includes(k)),
  'id',
  'event_json',
  'run',
  'zone',
  'source',
  'methodology_version',
]);

/** PostgreSQL array type of a ledger column, for the unnest inserts and upserts. */
function pgType(column: string): keyof typeof PG_OID {
  if (column === 'ts_ms' || column === 'first_ts_ms') return 'bigint';
  if ((NUMERIC_KEYS as readonly string[]).includes(column) || column === 'year') return 'integer';
  return TEXT_COLUMNS.has(column) ? 'text' : 'float8';
}

/** Element type OIDs of PostgreSQL's binary array format, by the ledger's column types. */
const PG_OID = { text: 25, float8: 701, bigint: 20, integer: 23 } as const;

/**
 * One column of a batch as a PostgreSQL array in the binary wire format (node-postgres sends a
 * Buffer parameter as binary). Text arrays let node-postgres convert and escape every element in
 * JavaScript and the server parse every float from text; those conversions cost more than storing
 * the rows.
 */
function pgBinaryArray(values: readonly unknown[], type: keyof typeof PG_OID): Buffer {
  const n = values.length;
  let size = 20;
  let hasNull = 0;
  const texts = type === 'text' ? new Array<string>(n) : undefined;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      hasNull = 1;
      size += 4;
    } else if (texts) {
      const t = String(v);
      texts[i] = t;
      size += 4 + Buffer.byteLength(t);
    } else {
      if (typeof v !== 'number' || (type !== 'float8' && !Number.isInteger(v))) {
        throw new TypeError(`Ledger column of type ${type} got ${String(v)}`);
      }
      size += type === 'integer' ? 8 : 12;
    }
  }
  const buf = Buffer.allocUnsafe(size);
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(hasNull, 4);
  buf.writeInt32BE(PG_OID[type], 8);
  buf.writeInt32BE(n, 12);
  buf.writeInt32BE(1, 16);
  let o = 20;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      o = buf.writeInt32BE(-1, o);
    } else if (texts) {
      const len = buf.write(texts[i] as string, o + 4);
      buf.writeInt32BE(len, o);
      o += 4 + len;
    } else if (type === 'float8') {
      o = buf.writeInt32BE(8, o);
      o = buf.writeDoubleBE(v as number, o);
    } else if (type === 'integer') {
      o = buf.writeInt32BE(4, o);
      o = buf.writeInt32BE(v as number, o);
    } else {
      const hi = Math.floor((v as number) / 4_294_967_296);
      o = buf.writeInt32BE(8, o);
      o = buf.writeInt32BE(hi, o);
      o = buf.writeUInt32BE((v as number) - hi * 4_294_967_296, o);
    }
  }
  return buf;
}

function add(acc: Float64Array, i: number, v: number): void {
  acc[i] = (acc[i] as number) + v;
}

/** Measures of the run_stages table, in the order `addToRollups` accumulates them. */
const RUN_MEASURES = [
  'events',
  'requests',
  'energy_wh_low',
  'energy_wh_mid',
  'energy_wh_high',
  'carbon_g_low',
  'carbon_g_mid',
  'carbon_g_high',
  'embodied_g_mid',
] as const;

/**
 * INSERT … ON CONFLICT (key) DO UPDATE adding the measures to the stored row, and folding the
 * `extremes` columns with min/max (least/greatest on PostgreSQL, CASE on SQLite). The statement is built by
 * Kysely once per table and row count, then run with each chunk's parameters.
 */
async function upsertAdding(
  trx: Transaction<Database>,
  postgres: boolean,
  cache: Map<string, string>,
  table: keyof Database,
  columns: readonly string[],
  rows: unknown[][],
  keys: readonly string[],
  measures: readonly string[],
  extremes: [string, 'min' | 'max'][],
): Promise<void> {
  if (rows.length === 0) return;
  if (postgres) {
    // One array parameter per column (unnest): PostgreSQL plans a huge VALUES list slowly.
    const updates = [
      ...measures.map((m) => sql`${sql.ref(m)} = ${sql.ref(`${table}.${m}`)} + ${sql.ref(`excluded.${m}`)}`),
      ...extremes.map(
        ([col, fn]) =>
          sql`${sql.ref(col)} = ${sql.raw(fn === 'min' ? 'least' : 'greatest')}(${sql.ref(`${table}.${col}`)}, ${sql.ref(`excluded.${col}`)})`,
      ),
    ];
    const arrays = columns.map((c, j) => {
      const type = pgType(c);
      return sql`${pgBinaryArray(
        rows.map((r) => r[j]),
        type,
      )}::${sql.raw(type)}[]`;
    });
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
      select * from unnest(${sql.join(arrays)})
      on conflict (${sql.join(keys.map((k) => sql.ref(k)))}) do update set ${sql.join(updates)}`.execute(trx);
    return;
  }
  const perChunk = Math.max(1, Math.floor(30_000 / columns.length));
  for (let start = 0; start < rows.length; start += perChunk) {
    const chunk = rows.slice(start, start + perChunk);
    const cacheKey = `${table}:${chunk.length}`;
    let text = cache.get(cacheKey);
    if (!text) {
      const set: Record<string, unknown> = {};
      for (const m of measures) set[m] = sql`${sql.ref(`${table}.${m}`)} + ${sql.ref(`excluded.${m}`)}`;
      for (const [col, fn] of extremes) {
        const op = fn === 'min' ? sql`<` : sql`>`;
        set[col] =
          sql`CASE WHEN ${sql.ref(`excluded.${col}`)} ${op} ${sql.ref(`${table}.${col}`)} THEN ${sql.ref(`excluded.${col}`)} ELSE ${sql.ref(`${table}.${col}`)} END`;
      }
      const template = Object.fromEntries(columns.map((c) => [c, null]));
      text = (trx as unknown as Kysely<Record<string, Record<string, unknown>>>)
        .insertInto(table)
        .values(Array.from({ length: chunk.length }, () => template))
        .onConflict((oc) => oc.columns(keys as never[]).doUpdateSet(set as never))
        .compile().sql;
      cache.set(cacheKey, text);
    }
    const width = columns.length;
    const params = new Array<unknown>(chunk.length * width);
    for (let i = 0; i < chunk.length; i++) {
      const row = chunk[i] as unknown[];
      for (let j = 0; j < width; j++) params[i * width + j] = row[j];
    }
    await trx.executeQuery(CompiledQuery.raw(text, params));
  }
}
