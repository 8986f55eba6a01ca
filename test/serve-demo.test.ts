import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// The README's first command past `npm ci`: `greenprint serve --demo` in a fresh folder records the
// demo into ./.greenprint/demo.db and serves the dashboard, its API, the gateway (to the simulated
// provider) and the Batch API, and stops cleanly on SIGTERM; a second start reuses the demo ledger.
const CLI = fileURLToPath(new URL('../src/cli/cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
let child: ChildProcess | undefined;
afterEach(() => child?.kill('SIGKILL'));

function start(cwd: string): Promise<{ url: string; out: () => string }> {
  child = spawn(process.execPath, ['--import', TSX, CLI, 'serve', '--demo', '--port', '0'], {
    cwd,
    stdio: 'pipe',
  });
  let out = '';
  child.stderr?.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child?.stdout?.on('data', (d) => {
      out += d;
      const url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
      if (url) resolve({ url, out: () => out });
    });
    child?.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

async function stop(): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
  child?.kill('SIGTERM');
  return exited;
}

describe('greenprint serve --demo', () => {
  it('opens on a dashboard with demo data, a working gateway and Batch API, and reuses the demo on restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-serve-demo-'));
    try {
      const { url, out } = await start(dir);
      expect(out()).toMatch(/Demo: 312 calls over 34 pipeline runs/);
      const overview = (await (await fetch(`${url}/api/dashboard/overview?project=demo`)).json()) as {
        totals: { events: number };
      };
      // 14 days hold 10 weekdays of 3 runs and 4 weekend days of 1; 8 calls a run, plus 40 batch requests.
      expect(overview.totals.events).toBe(312);
      expect((await fetch(`${url}/`)).status).toBe(200);
      const chat = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
      });
      expect(chat.status).toBe(200);
      expect(Number(chat.headers.get('x-greenprint-energy-wh'))).toBeGreaterThan(0);
      const batches = (await (await fetch(`${url}/v1/batches`)).json()) as { data: unknown[] };
      expect(batches.data).toEqual([]); // the demo's batch belongs to project demo, not to this keyless caller
      expect(await stop()).toBe(0);

      const again = await start(dir);
      expect(again.out()).toMatch(/Demo data already in .*demo\.db/);
      expect(await stop()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
