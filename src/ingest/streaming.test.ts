import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gp-stream-'));
const path = join(dir, 'large.jsonl');
const TARGET_BYTES = 50 * 1024 * 1024;
const HEAP_LIMIT_BYTES = 150 * 1024 * 1024;
const LIVE_GROWTH_LIMIT_BYTES = 20 * 1024 * 1024;

beforeAll(() => {
  // Distinct id-less rows: each one is validated, hashed and counted, the costliest path per row.
  const fd = openSync(path, 'w');
  let written = 0;
  let i = 0;
  while (written < TARGET_BYTES) {
    const lines: string[] = [];
    for (let j = 0; j < 5000; j++, i++) {
      lines.push(
        JSON.stringify({
          provider: 'openai',
          requestModel: i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
          inputTokens: 1000 + (i % 7919),
          outputTokens: 200 + (i % 613),
          startTime: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
          project: 'support-bot',
          team: 'customer-care',
          tags: { session: `s-${i}` },
        }),
      );
    }
    const chunk = `${lines.join('\n')}\n`;
    writeSync(fd, chunk);
    written += Buffer.byteLength(chunk);
  }
  closeSync(fd);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A full collection, so what is measured is live memory rather than garbage awaiting collection. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Live memory on and off the JS heap (typed arrays live off it). */
function liveBytes(): number {
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('readEvents: streaming', () => {
  it('reads a 50 MB JSON Lines file in flat memory', async () => {
    expect(statSync(path).size).toBeGreaterThanOrEqual(TARGET_BYTES);
    const baseline = liveBytes();
    let count = 0;
    let errors = 0;
    let maxHeap = 0;
    let maxLiveGrowth = 0;
    for await (const item of readEvents(path)) {
      count++;
      if (item.error) errors++;
      if (count % 2000 === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
      if (count % 50_000 === 0) maxLiveGrowth = Math.max(maxLiveGrowth, liveBytes() - baseline);
    }
    expect(errors).toBe(0);
    expect(count).toBeGreaterThan(200_000);
    expect(maxHeap).toBeGreaterThan(0);
    expect(maxHeap).toBeLessThan(HEAP_LIMIT_BYTES);
    // Holding the file (50 MB of text) would show here; the id counter's ~6 MB for 250k rows is expected.
    expect(maxLiveGrowth).toBeLessThan(LIVE_GROWTH_LIMIT_BYTES);
  }, 20_000);
});
