import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { GreenprintError, HTTP_STATUS_BY_CODE } from '../core/index.js';
import type { GatewayEnv } from '../gateway/index.js';
import type { BatchService } from './batchService.js';
import type { Batch, BatchFile } from './types.js';

/** Largest batch input file accepted, bytes. */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

/**
 * OpenAI's Files and Batch API: `POST /v1/files` (purpose "batch"), `GET /v1/files[/:id[/content]]`,
 * `POST /v1/batches`, `GET /v1/batches[/:id]`, `POST /v1/batches/:id/cancel`. `auth` is the gateway's
 * key check; every object is scoped to the key's project. Batch objects carry Greenprint's plan and
 * realised carbon under `greenprint`.
 */
export function batchRoutes(service: BatchService, auth: MiddlewareHandler<GatewayEnv>): Hono {
  const app = new Hono<GatewayEnv>();
  for (const path of ['/v1/files', '/v1/files/*', '/v1/batches', '/v1/batches/*']) app.use(path, auth);
  const project = (c: { var: GatewayEnv['Variables'] }) => c.var.greenprint.project;

  const tooLarge = () => {
    throw new GreenprintError(
      'payload_too_large',
      `Files are limited to ${MAX_FILE_BYTES / 1048576} MiB; split the batch.`,
    );
  };
  // Counts the bytes as they arrive, so a chunked upload without a length is held to the limit too.
  app.post(
    '/v1/files',
    bodyLimit({ maxSize: MAX_FILE_BYTES, onError: tooLarge }),
    async function uploadFile(c) {
      const type = c.req.header('content-type') ?? '';
      if (!type.startsWith('multipart/form-data')) {
        throw new GreenprintError(
          'unsupported_media_type',
          'Upload the file as multipart/form-data with fields "file" and "purpose" (as the openai client does).',
        );
      }
      const form = await c.req.parseBody();
      const file = form.file;
      if (!(file instanceof File)) {
        throw new GreenprintError('invalid_input', 'The form needs a "file" field holding the JSONL input.');
      }
      const purpose = typeof form.purpose === 'string' ? form.purpose : '';
      const created = await service.createFile(
        project(c),
        file.name || 'input.jsonl',
        purpose,
        await file.text(),
      );
      return c.json(publicFile(created));
    },
  );
  app.get('/v1/files', async (c) => {
    const files = await service.store.files(project(c));
    return c.json({ object: 'list', data: files.map(publicFile), has_more: false });
  });
  app.get('/v1/files/:id', async (c) =>
    c.json(publicFile(await service.store.file(project(c), c.req.param('id')))),
  );
  app.get('/v1/files/:id/content', async (c) => {
    const content = await service.store.fileContent(project(c), c.req.param('id'));
    return c.body(content, 200, { 'content-type': 'application/jsonl' });
  });

  app.post('/v1/batches', async function createBatch(c) {
    let body: Record<string, unknown>;
    try {
      body = await c.req.json();
    } catch {
      throw new GreenprintError(
        'invalid_input',
        'The body must be JSON: {input_file_id, endpoint, completion_window}.',
      );
    }
    const pipeline = c.req.header('x-greenprint-pipeline');
    const stage = c.req.header('x-greenprint-stage');
    const batch = await service.createBatch(project(c), body, {
      ...(pipeline ? { pipeline } : {}),
      ...(stage ? { stage } : {}),
    });
    return c.json(publicBatch(batch));
  });
  app.get('/v1/batches', async (c) => {
    const limit = Math.min(100, Math.max(1, Number(c.req.query('limit') ?? 20) || 20));
    const page = await service.store.batches(project(c), limit + 1, c.req.query('after'));
    const data = page.slice(0, limit).map(publicBatch);
    return c.json({
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: page.length > limit,
    });
  });
  app.get('/v1/batches/:id', async (c) =>
    c.json(publicBatch(await service.get(project(c), c.req.param('id')))),
  );
  app.post('/v1/batches/:id/cancel', async (c) =>
    c.json(publicBatch(await service.cancel(project(c), c.req.param('id')))),
  );

  app.onError(function renderError(error, c) {
    if (error instanceof GreenprintError) {
      return c.json(
        { error: { message: error.message, type: 'invalid_request_error', code: error.code, param: null } },
        HTTP_STATUS_BY_CODE[error.code] as ContentfulStatusCode,
      );
    }
    if (error instanceof HTTPException) return error.getResponse();
    console.error(error);
    return c.json(
      {
        error: {
          message: 'Unexpected server error; see the server log.',
          type: 'server_error',
          code: 'internal_error',
          param: null,
        },
      },
      500,
    );
  });
  return app as unknown as Hono;
}

function publicFile({ project: _, ...file }: BatchFile) {
  return file;
}

function publicBatch({ project: _, ...batch }: Batch) {
  return batch;
}
