import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, PG_URL } from '../../test/dbs.js';
import { createEstimator, type UsageEvent } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { Ledger, report } from '../ledger/index.js';
import { SpoolingSink } from './sink.js';

const estimator = createEstimator(loadReferenceData());
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function event(i: number): UsageEvent {
  return {
    requestModel: 'gpt-4o-mini',
    provider: 'openai',
    inputTokens: 100 + i,
    outputTokens: 20,
    project: 'sink',
    startTime: new Date(1.72e12 + i * 1000).toISOString(),
  };
}

async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function spoolDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gp-spool-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('spooling sink', () => {
  it('writes every accepted event to the ledger once, in the background', async () => {
    const db = await DIALECTS[0]?.fresh();
    if (!db) throw new Error('no sqlite');
    cleanups.push(() => db.drop());
    const ledger = await Ledger.open({ url: db.url, estimator });
    cleanups.push(() => ledger.close());
    const spool = join(spoolDir(), 'spool.jsonl');
    const sink = new SpoolingSink({
      record: (e) => ledger.record(e),
      spoolPath: spool,
      intervalMs: 10,
      batchSize: 100,
    });
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(sink.enqueue(event(i)));
    expect(ids.size).toBe(1000);
    await sink.close();
    expect((await report(ledger)).total.events).toBe(1000);
    expect(sink.stats()).toMatchObject({ accepted: 1000, recorded: 1000, pending: 0, ledgerUp: true });
    expect(Number(readFileSync(`${spool}.offset`, 'utf8'))).toBe(statSync(spool).size);
  });

  it('writes the events accepted in one turn to the spool in one append, by the end of that turn', async () => {
    const spool = join(spoolDir(), 'spool.jsonl');
    const sink = new SpoolingSink({
      record: async (e) => ({ inserted: [e].flat().length, duplicates: 0, rejected: [] }),
      spoolPath: spool,
    });
    cleanups.push(() => sink.close());
    const ids = [sink.enqueue(event(1)), sink.enqueue(event(2))];
    expect(sink.stats()).toMatchObject({ accepted: 2, pending: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    const lines = readFileSync(spool, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as UsageEvent).id)).toEqual(ids);
  });

  for (const exit of ['exit', 'throw'] as const) {
    it(`keeps events accepted just before the process ends (${exit === 'exit' ? 'process.exit' : 'uncaught exception'})`, () => {
      const spool = join(spoolDir(), 'spool.jsonl');
      const fixture = new URL('./fixtures/exitAfterEnqueue.ts', import.meta.url).pathname;
      const child = spawnSync(process.execPath, ['--import', 'tsx', fixture, spool, exit], {
        encoding: 'utf8',
      });
      expect(child.status).toBe(exit === 'exit' ? 0 : 1);
      const lines = readFileSync(spool, 'utf8').trimEnd().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as UsageEvent).id)).toEqual([
        'gw_exit0',
        'gw_exit1',
        'gw_exit2',
      ]);
    });
  }

  it('skips a spool line too long to be an event instead of stalling the replay behind it', async () => {
    const db = await DIALECTS[0]?.fresh();
    if (!db) throw new Error('no sqlite');
    cleanups.push(() => db.drop());
    const ledger = await Ledger.open({ url: db.url, estimator });
    cleanups.push(() => ledger.close());
    const spool = join(spoolDir(), 'spool.jsonl');
    const lines = [event(1), event(2)].map((e, i) => JSON.stringify({ ...e, id: `long-${i}` }));
    writeFileSync(spool, `${lines[0]}\n${'x'.repeat(5 << 20)}\n${lines[1]}\n`);
    const sink = new SpoolingSink({ record: (e) => ledger.record(e), spoolPath: spool, intervalMs: 10 });
    await sink.close();
    expect((await report(ledger)).total.events).toBe(2);
  });

  it('after a crash, a new sink replays the unconfirmed events and none is counted twice', async () => {
    const db = await DIALECTS[0]?.fresh();
    if (!db) throw new Error('no sqlite');
    cleanups.push(() => db.drop());
    const spool = join(spoolDir(), 'spool.jsonl');
    // The first process's ledger goes away (its pool is destroyed): every write fails.
    const gone = await Ledger.open({ url: db.url, estimator });
    await gone.close();
    const first = new SpoolingSink({
      record: (e) => gone.record(e),
      spoolPath: spool,
      intervalMs: 10,
      timeoutMs: 500,
    });
    for (let i = 0; i < 300; i++) first.enqueue(event(i));
    await first.flush();
    expect(first.stats()).toMatchObject({ accepted: 300, recorded: 0, pending: 300, ledgerUp: false });
    // "Crash": the first sink is abandoned without close. A restarted gateway opens the same spool.
    const ledger = await Ledger.open({ url: db.url, estimator });
    cleanups.push(() => ledger.close());
    const second = new SpoolingSink({ record: (e) => ledger.record(e), spoolPath: spool, intervalMs: 10 });
    for (let i = 300; i < 400; i++) second.enqueue(event(i));
    await second.close();
    expect((await report(ledger)).total.events).toBe(400);
    // Replaying the whole spool again (offset lost) changes nothing: ids are in the ledger.
    rmSync(`${spool}.offset`);
    const third = new SpoolingSink({ record: (e) => ledger.record(e), spoolPath: spool, intervalMs: 10 });
    await third.close();
    expect((await report(ledger)).total.events).toBe(400);
  });

  it('keeps accepting while PostgreSQL writes are stopped mid-run, then catches up with nothing lost or doubled', {
    timeout: 60_000,
  }, async () => {
    const db = await DIALECTS[1]?.fresh();
    if (!db) throw new Error('no postgres');
    cleanups.push(() => db.drop());
    const ledger = await Ledger.open({ url: db.url, estimator });
    cleanups.push(() => ledger.close());
    const spool = join(spoolDir(), 'spool.jsonl');
    const sink = new SpoolingSink({
      record: (e) => ledger.record(e),
      spoolPath: spool,
      intervalMs: 20,
      timeoutMs: 300,
      batchSize: 50,
    });
    cleanups.push(() => sink.close());
    for (let i = 0; i < 200; i++) sink.enqueue(event(i));
    await until(async () => (await report(ledger)).total.events === 200);

    // Stop writes: another session holds an exclusive lock on the events table.
    const schema = decodeURIComponent(db.url.split('search_path%3D')[1] ?? '');
    const blocker = new pg.Client({ connectionString: PG_URL });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${schema}.events IN ACCESS EXCLUSIVE MODE`);
    const started = performance.now();
    for (let i = 200; i < 700; i++) sink.enqueue(event(i));
    const enqueueMs = performance.now() - started;
    await until(() => !sink.stats().ledgerUp);
    expect(sink.stats().pending).toBeGreaterThan(0);
    // Requests never waited for the ledger.
    expect(enqueueMs).toBeLessThan(2000);
    await blocker.query('ROLLBACK');
    await blocker.end();

    await until(
      async () =>
        sink.stats().ledgerUp && sink.stats().pending === 0 && (await report(ledger)).total.events >= 700,
      30_000,
    );
    const total = await report(ledger);
    expect(total.total.events).toBe(700);
    const ids = await ledger.db.selectFrom('events').select('id').execute();
    expect(new Set(ids.map((r) => r.id)).size).toBe(700);
  });
});
