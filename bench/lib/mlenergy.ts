import { readFileSync } from 'node:fs';
import type { Precision, UsageEvent } from '../../src/core/index.js';
import { SHARED_DATA } from './shared.js';

/** Where the ML.ENERGY v2 reference rows live (tests and benchmarks only; never shipped). */
export const MLENERGY_DIR = new URL('anchors/mlenergy-v2/', SHARED_DATA);

/**
 * Mean prompt lengths assumed for ML.ENERGY's tasks, which publish output lengths but not input
 * lengths: ShareGPT first turns (chat) and HumanEval-style code prompts. Prefill is 10-15% of a
 * row's energy, so these assumptions move the fit little.
 */
export const ASSUMED_INPUT_TOKENS: Record<string, number> = { chat: 220, code: 150 };

export interface LlmRow {
  model: string;
  task: string;
  gpu: string;
  gpuCount: number;
  batchSize: number;
  paramsB: number;
  outputTokens: number;
  inputTokens: number;
  energyJ: number;
  tokensPerSecond: number;
  precision: Precision;
}

export interface DiffusionRow {
  model: string;
  task: string;
  gpu: string;
  batchSize: number;
  steps: number;
  frames: number | null;
  /** Energy per image, or per video clip. */
  energyJ: number;
}

export function gpuIdFor(dir: string): string {
  return dir.startsWith('A100') ? 'A100-40GB' : 'H100';
}

export function readCsv(file: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(new URL(file, MLENERGY_DIR), 'utf8').trim().split(/\r?\n/);
  const cols = (head ?? '').split(',');
  return lines.map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
  });
}

export function llmRows(file = 'llm_text_generation.csv'): LlmRow[] {
  return readCsv(file).map((r) => ({
    model: r.Model ?? '',
    task: r.task ?? '',
    gpu: gpuIdFor(r.gpu_dir ?? ''),
    gpuCount: Number(r.TP),
    batchSize: Number((r.config_file ?? '').split('+')[0]?.slice(2)),
    paramsB: Number(r.params_billion),
    outputTokens: Number(r['Avg Output Tokens']),
    inputTokens: ASSUMED_INPUT_TOKENS[r.task ?? ''] ?? 200,
    energyJ: Number(r['Energy/req (J)']),
    tokensPerSecond: Number(r['Token tput (tok/s)']),
    precision: 'bf16',
  }));
}

export function diffusionRows(): DiffusionRow[] {
  return readCsv('diffusion.csv').map((r) => ({
    model: r.Model ?? '',
    task: r.task ?? '',
    gpu: gpuIdFor(r.gpu_dir ?? ''),
    batchSize: Number(r['Batch size']),
    steps: Number(r['Denoising steps']),
    frames: r.Frames ? Number(r.Frames) : null,
    energyJ: Number(r['Energy/image (J)'] || r['Energy/video (J)']),
  }));
}

/** The usage event matching an LLM row, at that row's GPU, GPU count, batch size and precision. */
export function llmRowEvent(row: LlmRow): UsageEvent {
  return {
    requestModel: row.model,
    operation: 'chat',
    provider: 'huggingface_hub',
    deployment: 'self_hosted',
    inputTokens: row.inputTokens,
    outputTokens: Math.round(row.outputTokens),
    hardware: { gpu: row.gpu, gpuCount: row.gpuCount, batchSize: row.batchSize, precision: row.precision },
  };
}

/** The usage event matching a diffusion row. */
export function diffusionRowEvent(row: DiffusionRow): UsageEvent {
  const base = {
    requestModel: row.model,
    provider: 'huggingface_hub',
    deployment: 'self_hosted' as const,
    hardware: { gpu: row.gpu, batchSize: row.batchSize },
  };
  if (row.frames) {
    return {
      ...base,
      operation: 'video_generation',
      video: { seconds: row.frames, fps: 1, steps: row.steps },
    };
  }
  return { ...base, operation: 'image_generation', images: { count: 1, steps: row.steps } };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}
