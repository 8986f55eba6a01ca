import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { readTrace } from '../src/data/index.js';
import { DIRECT_COLUMN } from '../src/scheduler/sampleSignals.js';
import { HALF_HOUR_MS, seriesFromTrace } from '../src/scheduler/series.js';

const DE_PATH = fileURLToPath(new URL('../data/grid/DE-LU_2024_hourly.csv', import.meta.url));
const de = seriesFromTrace(readTrace(DE_PATH, undefined, { column: DIRECT_COLUMN }));

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(
    argv,
    (s) => (out += `${s}\n`),
    (s) => (err += `${s}\n`),
  );
  return { code, out, err };
}

describe('greenprint schedule', () => {
  it('plan --json: a 2-hour job put in the lowest 4 contiguous half hours of the trace before its deadline', async () => {
    const earliest = Date.parse('2024-03-12T17:00:00Z');
    const { code, out } = await cli(
      'schedule',
      'plan',
      '--energy-kwh',
      '4',
      '--duration',
      '2h',
      '--earliest',
      '2024-03-12T17:00:00Z',
      '--deadline',
      '+30h',
      '--regions',
      'DE',
      '--trace',
      `DE=${DE_PATH}`,
      '--forecaster',
      'oracle',
      '--json',
    );
    expect(code).toBe(0);
    const result = JSON.parse(out);
    // Brute force over the same trace: every 4-slot window that fits.
    const first = (earliest - de.startMs) / HALF_HOUR_MS;
    const last = (earliest + 30 * 3_600_000 - de.startMs) / HALF_HOUR_MS - 4;
    let best = first;
    const sum = (i: number) => [0, 1, 2, 3].reduce((s, k) => s + (de.values[i + k] as number), 0);
    for (let i = first; i <= last; i++) if (sum(i) < sum(best) - 1e-9) best = i;
    expect(result.plan.runs).toEqual([
      { startMs: de.startMs + best * HALF_HOUR_MS, endMs: de.startMs + (best + 4) * HALF_HOUR_MS },
    ]);
    expect(result.plan.expectedG).toBeCloseTo((4 / 4) * sum(best), 6);
    expect(result.plan.runNowG).toBeCloseTo(sum(first), 6);
    expect(result.signals[0].forecast).toHaveLength(60);
  });

  it('plan without a signal for the zone, or with a bad duration, exits 2 and says what to give', async () => {
    const unknown = await cli(
      'schedule',
      'plan',
      '--energy-kwh',
      '1',
      '--regions',
      'FR',
      '--trace',
      `DE=${DE_PATH}`,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/No carbon-intensity signal for zone "FR".*--trace FR=/);
    const bad = await cli('schedule', 'plan', '--energy-kwh', '1', '--duration', 'two hours');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--duration must be a duration such as 30m/);
    const energy = await cli('schedule', 'plan');
    expect(energy.code).toBe(2);
    expect(energy.err).toMatch(/--energy-kwh, or --model/);
  });

  it('simulate: the oracle reaches all of its own saving, a forecaster some of it, and bad rows are reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-sim-'));
    try {
      const jobs = ['job_id,arrival_time,duration_minutes'];
      for (let d = 1; d <= 40; d++)
        jobs.push(`${d},2024-04-${String((d % 28) + 1).padStart(2, '0')} 09:00:00,${60 + (d % 4) * 30}`);
      jobs.push('bad,not-a-date,60');
      writeFileSync(join(dir, 'jobs.csv'), jobs.join('\n'));
      const oracle = JSON.parse(
        (
          await cli(
            'schedule',
            'simulate',
            '--jobs',
            join(dir, 'jobs.csv'),
            '--trace',
            `DE=${DE_PATH}`,
            '--forecaster',
            'oracle',
            '--json',
          )
        ).out,
      );
      expect(oracle.jobs).toBe(40);
      expect(oracle.skipped).toBe(1);
      expect(oracle.skippedReasons[0]).toMatch(/line 42 arrival_time/);
      expect(oracle.realisedG).toBeCloseTo(oracle.oracleG, 6);
      expect(oracle.savingPct).toBeGreaterThan(5);
      const seasonal = JSON.parse(
        (
          await cli(
            'schedule',
            'simulate',
            '--jobs',
            join(dir, 'jobs.csv'),
            '--trace',
            `DE=${DE_PATH}`,
            '--json',
          )
        ).out,
      );
      expect(seasonal.forecaster).toBe('anomaly-profile');
      expect(seasonal.realisedG).toBeGreaterThanOrEqual(oracle.oracleG - 1e-6);
      expect(seasonal.runNowG).toBeCloseTo(oracle.runNowG, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
