import { describe, expect, it } from 'vitest';
import { multipartBoundary, multipartField, replaceBytes } from './multipartField.js';

async function encode(form: FormData) {
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return {
    type: request.headers.get('content-type') ?? '',
    bytes: new Uint8Array(await request.arrayBuffer()),
  };
}

describe('multipartField', () => {
  it('finds a text field after a file part whose bytes look like form syntax', async () => {
    const form = new FormData();
    const tricky = new TextEncoder().encode('name="model"\r\n\r\nnot-this\r\n--x');
    form.append('file', new Blob([tricky]), 'model.wav');
    form.append('model', 'whisper-1');
    form.append('language', 'en');
    const { type, bytes } = await encode(form);
    const boundary = multipartBoundary(type);
    expect(boundary).toBeDefined();
    const field = multipartField(bytes, boundary ?? '', 'model');
    expect(field?.value).toBe('whisper-1');
    expect(multipartField(bytes, boundary ?? '', 'language')?.value).toBe('en');
    expect(multipartField(bytes, boundary ?? '', 'prompt')).toBeUndefined();

    const replaced = replaceBytes(bytes, field?.start ?? 0, field?.end ?? 0, 'gpt-4o-transcribe');
    const parsed = await new Request('http://127.0.0.1/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: replaced,
    }).formData();
    expect(parsed.get('model')).toBe('gpt-4o-transcribe');
    expect(new Uint8Array(await (parsed.get('file') as Blob).arrayBuffer())).toEqual(tricky);
  });

  it('reads quoted and unquoted boundaries, and only for multipart/form-data', () => {
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('Multipart/Form-Data;boundary=xyz; charset=utf-8')).toBe('xyz');
    expect(multipartBoundary('application/json; boundary=xyz')).toBeUndefined();
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
  });
});
