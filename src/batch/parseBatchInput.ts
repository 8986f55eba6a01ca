import { z } from 'zod';
import type { BatchRequest } from './types.js';

/** Endpoints a batch may target (OpenAI's Batch API list, less `/v1/responses`). */
export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings'] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

const lineSchema = z.object({
  custom_id: z.string().min(1),
  method: z.literal('POST'),
  url: z.string(),
  body: z.looseObject({ model: z.string().min(1) }),
});

export interface LineError {
  code: 'invalid_request';
  message: string;
  line: number;
}

/**
 * Reads a batch input file (JSONL, one request per line). Bad lines are reported with their line
 * number and the good ones still run, as the importer does; a repeated `custom_id` is a bad line.
 */
export function parseBatchInput(
  content: string,
  endpoint: BatchEndpoint,
): { requests: BatchRequest[]; errors: LineError[] } {
  const requests: BatchRequest[] = [];
  const errors: LineError[] = [];
  const seen = new Set<string>();
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).trim();
    if (text === '') continue;
    const line = i + 1;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      errors.push({ code: 'invalid_request', line, message: `Line ${line} is not valid JSON.` });
      continue;
    }
    const parsed = lineSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      errors.push({
        code: 'invalid_request',
        line,
        message: `Line ${line}: ${issue?.path.join('.') || 'request'}: ${issue?.message}. Each line needs custom_id, method "POST", url and body with a model.`,
      });
      continue;
    }
    const request = parsed.data;
    if (request.url !== endpoint) {
      errors.push({
        code: 'invalid_request',
        line,
        message: `Line ${line}: url "${request.url}" differs from the batch's endpoint "${endpoint}"; one batch serves one endpoint.`,
      });
      continue;
    }
    if (request.body.stream === true) {
      errors.push({
        code: 'invalid_request',
        line,
        message: `Line ${line}: "stream": true is not supported in a batch; remove it (outputs land in the output file).`,
      });
      continue;
    }
    if (seen.has(request.custom_id)) {
      errors.push({
        code: 'invalid_request',
        line,
        message: `Line ${line}: custom_id "${request.custom_id}" is repeated; each request needs its own.`,
      });
      continue;
    }
    seen.add(request.custom_id);
    requests.push({
      line,
      custom_id: request.custom_id,
      method: 'POST',
      url: request.url,
      body: request.body,
    });
  }
  return { requests, errors };
}
