import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { createEstimator, GreenprintError, type UsageEvent } from '../src/core/index.js';
import { loadReferenceData } from '../src/data/index.js';
import { readEvents } from '../src/ingest/index.js';
import { inventory, Ledger, processMap, type Report, report, sci } from '../src/ledger/index.js';
import { DIALECTS, type TestDb } from './dbs.js';

const ROOT = new URL('..', import.meta.url).pathname;
const SAMPLES = ['content-pipeline.jsonl', 'usage.csv', 'openai-usage.json', 'invoice.csv'].map((f) =>
  join(ROOT, 'docs/examples', f),
);
const estimator = createEstimator(loadReferenceData());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(
    argv,
    (s) => (out += `${s}\n`),
    (s) => (err += `${s}\n`),
  );
  return { code, out, err };
}

/** Sum of per-event estimates over the files, computed without the ledger. */
async function expectedTotals(files: string[]) {
  const t = {
    events: 0,
    calls: 0,
    energyWh: [0, 0, 0] as [number, number, number],
    carbonG: [0, 0, 0] as [number, number, number],
    waterMl: 0,
    embodiedG: 0,
    costUsd: 0,
  };
  for (const file of files) {
    for await (const item of readEvents(file)) {
      if (!item.event) continue;
      let impact: ReturnType<typeof estimator.estimate>;
      try {
        impact = estimator.estimate(item.event);
      } catch (e) {
        if (e instanceof GreenprintError) continue;
        throw e;
      }
      t.events += 1;
      t.calls += item.event.requests ?? 1;
      t.energyWh = [
        t.energyWh[0] + impact.energyWh.low,
        t.energyWh[1] + impact.energyWh.mid,
        t.energyWh[2] + impact.energyWh.high,
      ];
      t.carbonG = [
        t.carbonG[0] + impact.carbonGCO2e.location.low,
        t.carbonG[1] + impact.carbonGCO2e.location.mid,
        t.carbonG[2] + impact.carbonGCO2e.location.high,
      ];
      t.waterMl += impact.waterMl.mid;
      t.embodiedG += impact.embodiedGCO2e.mid;
      t.costUsd += impact.costUsd?.mid ?? 0;
    }
  }
  return t;
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

describe.each(DIALECTS)('ledger on $name', ({ fresh }) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await fresh();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('imports the sample files; the stage report totals equal the sum of per-event estimates', async () => {
    for (const file of SAMPLES) {
      const r = await cli('import', file, '--db', db.url, '--json');
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.out);
      expect(summary.rejected).toBe(0);
      expect(summary.imported).toBe(summary.rows);
    }
    const rep = await cli('report', '--by', 'stage', '--format', 'json', '--db', db.url);
    expect(rep.code).toBe(0);
    const { total, rows } = JSON.parse(rep.out) as Report;
    const expected = await expectedTotals(SAMPLES);
    expect(expected.events).toBeGreaterThan(60);
    expect(total.events).toBe(expected.events);
    expect(total.calls).toBe(expected.calls);
    expect(close(total.energyKwh.low * 1000, expected.energyWh[0])).toBe(true);
    expect(close(total.energyKwh.mid * 1000, expected.energyWh[1])).toBe(true);
    expect(close(total.energyKwh.high * 1000, expected.energyWh[2])).toBe(true);
    expect(close(total.carbonKg.mid * 1000, expected.carbonG[1])).toBe(true);
    expect(close(total.waterL.mid * 1000, expected.waterMl)).toBe(true);
    expect(close(total.embodiedKg.mid * 1000, expected.embodiedG)).toBe(true);
    expect(close(total.costUsd, expected.costUsd)).toBe(true);
    // The stage rows add up to the total.
    expect(
      close(
        rows.reduce((a, r) => a + r.energyKwh.mid, 0),
        total.energyKwh.mid,
      ),
    ).toBe(true);
    expect(rows.map((r) => r.group.stage)).toContain('storyboard');
  });

  it('importing the same files again changes no total', async () => {
    const before = await cli('report', '--by', 'stage', '--by', 'model', '--format', 'json', '--db', db.url);
    for (const file of SAMPLES) {
      const r = JSON.parse((await cli('import', file, '--db', db.url, '--json')).out);
      expect(r.imported).toBe(0);
      expect(r.duplicates).toBe(r.rows);
    }
    const after = await cli('report', '--by', 'stage', '--by', 'model', '--format', 'json', '--db', db.url);
    expect(after.out).toBe(before.out);
  });

  it('reports bad rows with their line numbers and lands the good ones', async () => {
    const r = await cli('import', join(ROOT, 'docs/examples/bad-rows.jsonl'), '--db', db.url, '--json');
    const summary = JSON.parse(r.out);
    expect(summary.rejected).toBe(3);
    expect(summary.imported).toBe(summary.rows - 3);
    expect(summary.errors.map((e: { line: number }) => e.line).every((l: number) => l > 0)).toBe(true);
    expect(
      (await cli('import', join(ROOT, 'docs/examples/bad-rows.jsonl'), '--db', db.url, '--strict')).code,
    ).toBe(1);
  });

  it('views: inventory scopes add up, SCI divides by the functional unit, the process map keeps stage order', async () => {
    const ledger = await Ledger.open({ url: db.url, estimator });
    try {
      const totals = (await report(ledger)).total;
      const inv = await inventory(ledger);
      const scoped =
        inv.scope2.locationKg.mid + inv.scope3.category1.kgCO2e.mid + inv.scope3.category2.kgCO2e.mid;
      expect(close(scoped, totals.carbonKg.mid + totals.embodiedKg.mid)).toBe(true);
      expect(inv.factors.length).toBeGreaterThan(0);
      const [perCall] = await sci(ledger, 'call');
      expect(
        close(
          perCall?.gCO2ePerUnit.mid ?? 0,
          ((totals.carbonKg.mid + totals.embodiedKg.mid) * 1000) / totals.calls,
        ),
      ).toBe(true);
      const maps = await processMap(ledger, { pipeline: 'product-launch' });
      const stages = maps[0]?.stages.map((s) => s.stage) ?? [];
      expect(stages[0]).toBe('brief');
      expect(stages.indexOf('script')).toBeLessThan(stages.indexOf('video'));
      expect(maps[0]?.runs).toBeGreaterThanOrEqual(3);
      const shares = maps[0]?.stages.reduce((a, s) => a + s.share, 0) ?? 0;
      expect(shares).toBeCloseTo(1, 6);
    } finally {
      await ledger.close();
    }
  });

  it('recompute after a methodology change moves the figures and reports it', async () => {
    const ref = loadReferenceData();
    const changed = createEstimator({
      ...ref,
      providers: ref.providers.map((p) => ({
        ...p,
        pue: { low: p.pue.low * 2, mid: p.pue.mid * 2, high: p.pue.high * 2 },
      })),
    });
    const ledger = await Ledger.open({ url: db.url, estimator: changed });
    try {
      const before = (await report(ledger)).total;
      const result = await ledger.recompute();
      // Events with measured facility energy, and zero-energy ones (a cached-tokens invoice line),
      // keep their figure; the rest move.
      expect(result.changed).toBeGreaterThan(result.events * 0.9);
      expect(result.changed).toBeLessThan(result.events);
      expect(result.events).toBe(before.events);
      expect(close(result.before.energyWhMid, before.energyKwh.mid * 1000)).toBe(true);
      // Facility energy doubles with PUE except measured events, which keep their figure.
      expect(result.after.energyWhMid / result.before.energyWhMid).toBeGreaterThan(1.8);
      const again = await ledger.recompute();
      expect(again.changed).toBe(0);
      expect(close(again.after.energyWhMid, result.after.energyWhMid)).toBe(true);
    } finally {
      await ledger.close();
    }
  });
});

describe.each(DIALECTS)('a killed import on $name', ({ fresh }) => {
  it('leaves the ledger consistent, and a rerun neither loses nor double counts', {
    timeout: 60_000,
  }, async () => {
    const db = await fresh();
    const dir = mkdtempSync(join(tmpdir(), 'gp-kill-'));
    try {
      const file = join(dir, 'big.jsonl');
      const lines: string[] = [];
      for (let i = 0; i < 60_000; i++) {
        const e: UsageEvent = {
          id: `k${String(i).padStart(6, '0')}`,
          requestModel: i % 2 ? 'gpt-4o-mini' : 'gpt-4o',
          inputTokens: 100 + (i % 97),
          outputTokens: 20 + (i % 53),
          project: 'kill',
          stage: `s${i % 4}`,
          startTime: new Date(1.7e12 + i * 1000).toISOString(),
        };
        lines.push(JSON.stringify(e));
      }
      writeFileSync(file, `${lines.join('\n')}\n`);
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/cli.ts', 'import', file, '--db', db.url, '--batch', '2000'],
        { cwd: ROOT, stdio: 'ignore' },
      );
      const ledger = await Ledger.open({ url: db.url, estimator });
      try {
        // Kill -9 once some, but not all, batches are committed.
        for (let i = 0; i < 600; i++) {
          const n = Number(
            (
              await ledger.db
                .selectFrom('events')
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirst()
            )?.n ?? 0,
          );
          if (n >= 4000) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        const stored = Number(
          (
            await ledger.db
              .selectFrom('events')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirst()
          )?.n,
        );
        const rolled = (await report(ledger)).total.events;
        expect(stored).toBeGreaterThan(0);
        expect(stored).toBeLessThan(60_000);
        expect(rolled).toBe(stored);
        const rerun = await cli('import', file, '--db', db.url, '--json');
        const summary = JSON.parse(rerun.out);
        expect(summary.imported + summary.duplicates).toBe(60_000);
        expect(summary.duplicates).toBe(stored);
        const total = (await report(ledger)).total;
        expect(total.events).toBe(60_000);
        const events = await ledger.db
          .selectFrom('events')
          .select((eb) => eb.fn.sum<number>('energy_wh_mid').as('e'))
          .executeTakeFirst();
        expect(close(total.energyKwh.mid * 1000, Number(events?.e))).toBe(true);
      } finally {
        child.kill('SIGKILL');
        await ledger.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
