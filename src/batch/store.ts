import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { GreenprintError } from '../core/index.js';
import type { Database } from '../ledger/index.js';
import type { Batch, BatchFile, BatchResult } from './types.js';

/** Random ids in OpenAI's style (`file-…`, `batch_…`). */
export function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/**
 * Files, batches and per-request results in the ledger database (SQLite or PostgreSQL). Every read
 * is scoped by project: a key of one project never sees another's files or batches.
 */
export class BatchStore {
  constructor(private readonly db: Kysely<Database>) {}

  async putFile(file: BatchFile, content: string): Promise<void> {
    await this.db
      .insertInto('files')
      .values({
        id: file.id,
        project: file.project,
        purpose: file.purpose,
        filename: file.filename,
        bytes: file.bytes,
        created_at_ms: file.created_at * 1000,
        content,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async file(project: string, id: string): Promise<BatchFile> {
    const row = await this.db
      .selectFrom('files')
      .select(FILE_COLUMNS)
      .where('id', '=', id)
      .where('project', '=', project)
      .executeTakeFirst();
    if (!row) throw new GreenprintError('not_found', `No file "${id}". Upload one with POST /v1/files.`);
    return fileOf(row);
  }

  async fileContent(project: string, id: string): Promise<string> {
    const row = await this.db
      .selectFrom('files')
      .select('content')
      .where('id', '=', id)
      .where('project', '=', project)
      .executeTakeFirst();
    if (!row) throw new GreenprintError('not_found', `No file "${id}". Upload one with POST /v1/files.`);
    return row.content;
  }

  async files(project: string): Promise<BatchFile[]> {
    const rows = await this.db
      .selectFrom('files')
      .select(FILE_COLUMNS)
      .where('project', '=', project)
      .orderBy('created_at_ms', 'desc')
      .limit(1000)
      .execute();
    return rows.map(fileOf);
  }

  async putBatch(batch: Batch): Promise<void> {
    const row = batchRow(batch);
    await this.db
      .insertInto('batches')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
  }

  /**
   * Stores `batch` only if its stored status is still one of `expected` (a compare-and-set, so a
   * cancel and a worker starting the batch cannot overwrite each other); answers whether it did.
   */
  async updateBatch(batch: Batch, expected: readonly Batch['status'][]): Promise<boolean> {
    const result = await this.db
      .updateTable('batches')
      .set(batchRow(batch))
      .where('id', '=', batch.id)
      .where('status', 'in', expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Just the batch's status (the runner checks it for a cancel between requests). */
  async status(id: string): Promise<Batch['status'] | undefined> {
    const row = await this.db.selectFrom('batches').select('status').where('id', '=', id).executeTakeFirst();
    return row?.status as Batch['status'] | undefined;
  }

  /** The batch, or undefined; `project` undefined reads across projects (the worker). */
  async batch(id: string, project?: string): Promise<Batch | undefined> {
    let q = this.db.selectFrom('batches').select('batch_json').where('id', '=', id);
    if (project !== undefined) q = q.where('project', '=', project);
    const row = await q.executeTakeFirst();
    return row ? (JSON.parse(row.batch_json) as Batch) : undefined;
  }

  async batches(project: string, limit = 20, after?: string): Promise<Batch[]> {
    let q = this.db
      .selectFrom('batches')
      .select(['batch_json', 'created_at_ms', 'id'])
      .where('project', '=', project)
      .orderBy('created_at_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (after) {
      const anchor = await this.db
        .selectFrom('batches')
        .select(['created_at_ms', 'id'])
        .where('id', '=', after)
        .where('project', '=', project)
        .executeTakeFirst();
      if (anchor) {
        const at = Number(anchor.created_at_ms);
        q = q.where((eb) =>
          eb.or([
            eb('created_at_ms', '<', at),
            eb.and([eb('created_at_ms', '=', at), eb('id', '<', anchor.id)]),
          ]),
        );
      }
    }
    return (await q.execute()).map((r) => JSON.parse(r.batch_json) as Batch);
  }

  /** Stores one finished request; a line already stored is kept as it was (a resumed run). */
  async putResult(result: BatchResult): Promise<void> {
    await this.db
      .insertInto('batch_results')
      .values({
        batch_id: result.batchId,
        line: result.line,
        ok: result.ok ? 1 : 0,
        energy_wh: result.energyWh,
        done_at_ms: result.doneAtMs,
        result_json: JSON.stringify(result.output),
      })
      .onConflict((oc) => oc.columns(['batch_id', 'line']).doNothing())
      .execute();
  }

  async results(batchId: string): Promise<BatchResult[]> {
    const rows = await this.db
      .selectFrom('batch_results')
      .selectAll()
      .where('batch_id', '=', batchId)
      .orderBy('line')
      .execute();
    return rows.map((r) => ({
      batchId: r.batch_id,
      line: Number(r.line),
      ok: Number(r.ok) === 1,
      energyWh: Number(r.energy_wh),
      doneAtMs: Number(r.done_at_ms),
      output: JSON.parse(r.result_json) as BatchResult['output'],
    }));
  }
}

/** The batch as a row: the object as JSON plus the columns reports read (plan and realised figures). */
function batchRow(batch: Batch) {
  const plan = batch.greenprint.plan;
  const realised = batch.greenprint.realised;
  return {
    id: batch.id,
    project: batch.project,
    status: batch.status,
    created_at_ms: batch.created_at * 1000,
    zone: plan?.zone ?? '',
    planned_start_ms: plan ? plan.start_at * 1000 : null,
    energy_wh: realised?.energy_wh ?? plan?.energy_wh ?? null,
    expected_g: plan?.expected_gco2e ?? null,
    run_now_g: plan?.run_now_gco2e ?? null,
    realised_g: realised?.gco2e ?? null,
    realised_run_now_g: realised?.run_now_gco2e ?? null,
    batch_json: JSON.stringify(batch),
  };
}

const FILE_COLUMNS = ['id', 'project', 'purpose', 'filename', 'bytes', 'created_at_ms'] as const;

function fileOf(row: {
  id: string;
  project: string;
  purpose: string;
  filename: string;
  bytes: number;
  created_at_ms: number;
}): BatchFile {
  return {
    id: row.id,
    object: 'file',
    project: row.project,
    purpose: row.purpose,
    filename: row.filename,
    bytes: Number(row.bytes),
    created_at: Math.floor(Number(row.created_at_ms) / 1000),
  };
}
