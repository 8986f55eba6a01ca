import type { Kysely } from 'kysely';

// The rollup schema as it was on this date, frozen here: a later measure gets its own migration.
const ROLLUP_KEYS = [
  'hour',
  'organisation',
  'project',
  'pipeline',
  'stage',
  'model',
  'provider',
  'region',
  'deployment',
  'scope',
  'scope_category',
  'embodied_scope',
  'embodied_category',
] as const;
const NUMERIC_KEYS: readonly string[] = [
  'hour',
  'scope',
  'scope_category',
  'embodied_scope',
  'embodied_category',
];
const ROLLUP_MEASURES = [
  'events',
  'requests',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'images',
  'audio_seconds',
  'video_seconds',
  'measured',
  'has_market',
  'cost_usd',
  'priced',
  'energy_wh_low',
  'energy_wh_mid',
  'energy_wh_high',
  'carbon_g_low',
  'carbon_g_mid',
  'carbon_g_high',
  'carbon_market_g_low',
  'carbon_market_g_mid',
  'carbon_market_g_high',
  'water_ml_low',
  'water_ml_mid',
  'water_ml_high',
  'embodied_g_low',
  'embodied_g_mid',
  'embodied_g_high',
] as const;

// Migrations run against the schema as it was at the time, not the current types: Kysely<any>.
export async function up(db: Kysely<any>): Promise<void> {
  let events = db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('ts_ms', 'bigint', (c) => c.notNull());
  for (const col of ['project', 'pipeline', 'stage', 'run', 'model', 'methodology_version']) {
    events = events.addColumn(col, 'text', (c) => c.notNull().defaultTo(''));
  }
  for (const col of [
    'energy_wh_low',
    'energy_wh_mid',
    'energy_wh_high',
    'carbon_g_mid',
    'water_ml_mid',
    'embodied_g_mid',
  ]) {
    events = events.addColumn(col, 'double precision', (c) => c.notNull().defaultTo(0));
  }
  await events
    .addColumn('cost_usd', 'double precision')
    .addColumn('event_json', 'text', (c) => c.notNull())
    .execute();

  let rollups = db.schema.createTable('rollups');
  for (const k of ROLLUP_KEYS) {
    rollups = rollups.addColumn(k, NUMERIC_KEYS.includes(k) ? 'integer' : 'text', (c) => c.notNull());
  }
  for (const m of ROLLUP_MEASURES) {
    rollups = rollups.addColumn(m, 'double precision', (c) => c.notNull().defaultTo(0));
  }
  await rollups.addPrimaryKeyConstraint('rollups_pk', [...ROLLUP_KEYS] as never[]).execute();

  let runStages = db.schema
    .createTable('run_stages')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('run', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('first_ts_ms', 'bigint', (c) => c.notNull());
  for (const m of [
    'events',
    'requests',
    'energy_wh_low',
    'energy_wh_mid',
    'energy_wh_high',
    'carbon_g_low',
    'carbon_g_mid',
    'carbon_g_high',
    'embodied_g_mid',
  ]) {
    runStages = runStages.addColumn(m, 'double precision', (c) => c.notNull().defaultTo(0));
  }
  await runStages
    .addPrimaryKeyConstraint('run_stages_pk', ['project', 'pipeline', 'run', 'stage'] as never[])
    .execute();

  await db.schema
    .createTable('factors')
    .addColumn('zone', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('methodology_version', 'text', (c) => c.notNull())
    .addColumn('g_per_kwh_min', 'double precision', (c) => c.notNull())
    .addColumn('g_per_kwh_max', 'double precision', (c) => c.notNull())
    .addColumn('events', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('energy_wh_mid', 'double precision', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('factors_pk', ['zone', 'source', 'year', 'methodology_version'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['factors', 'run_stages', 'rollups', 'events'])
    await db.schema.dropTable(t).ifExists().execute();
}
