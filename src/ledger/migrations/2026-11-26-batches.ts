import type { Kysely } from 'kysely';

// The Batch API's files, batches and per-request results live beside the events they produce, so a
// batch, its realised carbon and its counterfactual are reported from one database.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('zone', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('planned_start_ms', 'bigint')
    .addColumn('energy_wh', 'double precision')
    .addColumn('expected_g', 'double precision')
    .addColumn('run_now_g', 'double precision')
    .addColumn('realised_g', 'double precision')
    .addColumn('realised_run_now_g', 'double precision')
    .addColumn('batch_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('batches_project')
    .on('batches')
    .columns(['project', 'created_at_ms'])
    .execute();
  await db.schema
    .createTable('batch_results')
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('energy_wh', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('done_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('result_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('batch_results_pk', ['batch_id', 'line'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['batch_results', 'batches', 'files']) await db.schema.dropTable(t).ifExists().execute();
}
