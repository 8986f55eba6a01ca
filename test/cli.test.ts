import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';

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

describe('greenprint estimate', () => {
  it('--json prints exactly the Impact object', async () => {
    const r = await cli(
      'estimate',
      '--model',
      'meta-llama/Llama-3.1-8B-Instruct',
      '--input-tokens',
      '500',
      '--output-tokens',
      '300',
      '--json',
    );
    expect(r.code).toBe(0);
    const impact = JSON.parse(r.out);
    expect(Object.keys(impact).sort()).toEqual(
      [
        'assumptions',
        'boundary',
        'carbonGCO2e',
        'costUsd',
        'embodiedGCO2e',
        'energyWh',
        'ghg',
        'methodologyVersion',
        'model',
        'sources',
        'warnings',
        'waterMl',
      ].sort(),
    );
    expect(impact.energyWh.low).toBeLessThan(impact.energyWh.high);
  });

  it('prints a readable table with ranges and warnings', async () => {
    const r = await cli(
      'estimate',
      '--model',
      'gpt-4o',
      '--input-tokens',
      '1000',
      '--output-tokens',
      '200',
      '--region',
      'FR',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/energy\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+Wh/);
    expect(r.out).toContain('[model-arch-not-released]');
    expect(r.out).toContain('Grid: FR');
  });

  it('explain prints each intermediate value with formula and source', async () => {
    const r = await cli(
      'explain',
      '--model',
      'mistralai/Mistral-7B-Instruct-v0.3',
      '--input-tokens',
      '200',
      '--output-tokens',
      '400',
      '--gpu',
      'A100-40GB',
      '--batch',
      '64',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('decode energy per output token');
    expect(r.out).toContain('k_c · P_active');
    expect(r.out).toContain('source: ');
  });

  it.each([
    [['--model', 'gpt-4o', '--bogus', '1'], /Unknown option '--bogus'/],
    [['--model', 'gpt-4o', '--output-tokens', '-5'], /--output-tokens must be a whole number/],
    [['--model', 'gpt-4o', '--output-tokens', 'many'], /--output-tokens must be a whole number/],
    [['--model', 'gpt-4o', '--region', 'ATLANTIS'], /Unknown region "ATLANTIS"/],
    [['--model', 'gpt-4o', '--images', '2'], /Image options .* do not apply to a text model/],
    [['--model', 'gpt-4-turbo-previw'], /Unknown model .* Close matches: gpt-4-turbo-preview/],
    [['--model', 'gpt-4o', '--gpu', 'TPUv9'], /Unknown GPU "TPUv9"/],
    [['--model', 'gpt-4o', '--precision', 'fp4'], /--precision must be one of bf16, fp8, int4/],
    [['--model', 'gpt-4o', '--active-params-billion', '3'], /needs --params-billion/],
    [['--output-tokens', '3'], /Missing --model/],
  ])('bad input %j exits 2 with a message', async (args, message) => {
    const r = await cli('estimate', ...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
  });

  it('estimates an open model that is not in the catalog from its size', async () => {
    const r = await cli(
      'estimate',
      '--model',
      'acme/my-13b',
      '--params-billion',
      '13',
      '--output-tokens',
      '100',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).assumptions.model.totalParamsB.mid).toBe(13);
  });
});

describe('greenprint models', () => {
  it('lists and searches the catalog', async () => {
    const all = await cli('models', '--json');
    expect(JSON.parse(all.out).length).toBeGreaterThan(400);
    const found = await cli('models', '--search', 'sdxl');
    expect(found.out).toContain('stabilityai/sdxl-turbo');
    expect(found.out).not.toContain('gpt-4o');
  });
});

describe('the greenprint process', () => {
  it('runs as a command and exits 2 on bad input', async () => {
    const node = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/cli.ts', ...args], {
        encoding: 'utf8',
        cwd: new URL('..', import.meta.url).pathname,
      });
    const ok = node(['estimate', '--model', 'whisper-1', '--audio-seconds', '60', '--json']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).model.modality).toBe('transcription');
    const bad = node(['estimate', '--model', 'whisper-1', '--audio-seconds', '-1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--audio-seconds must be a number > 0/);
  });
});
