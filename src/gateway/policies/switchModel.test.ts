import { describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../config.js';
import type { GatewayCall } from '../policy.js';
import { replaceJsonModel, switchModel } from './switchModel.js';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

const UPSTREAM = {
  name: 'backup',
  kind: 'openai',
  baseUrl: 'http://127.0.0.1:1/v1',
  provider: 'openai',
  deployment: 'managed_api',
  models: ['*'],
  timeoutMs: 1000,
} as UpstreamConfig;

describe('replaceJsonModel', () => {
  it('changes only the top-level model value, whatever the spacing, nesting and characters around it', () => {
    const body =
      '\uFEFF {\n "messages" : [{"role":"user","content":"\\"model\\": \\"x\\" Grüße 🌍","model":"inner"}],' +
      ' "tools":[{"a":[1,{"model":"t"}]}], "n": 2, "ok": true, "model"\t:\t"gpt-4o" ,"metadata":{"model":"m"}}';
    expect(decode(replaceJsonModel(encode(body), 'gpt-4.1-mini'))).toBe(
      body.replace('"model"\t:\t"gpt-4o"', '"model"\t:\t"gpt-4.1-mini"'),
    );
  });

  it('writes the new name as a JSON string, and finds an escaped key', () => {
    const body = '{"mod\\u0065l":"a\\"b","x":null}';
    expect(decode(replaceJsonModel(encode(body), 'say "hi"'))).toBe(
      '{"mod\\u0065l":"say \\"hi\\"","x":null}',
    );
    expect(JSON.parse(decode(replaceJsonModel(encode(body), 'say "hi"')) ?? '').model).toBe('say "hi"');
  });

  it('replaces every duplicate top-level model', () => {
    expect(decode(replaceJsonModel(encode('{"model":"a","model":"b"}'), 'c'))).toBe(
      '{"model":"c","model":"c"}',
    );
  });

  it('answers undefined for a body without a string model', () => {
    expect(replaceJsonModel(encode('{"model":5}'), 'c')).toBeUndefined();
    expect(replaceJsonModel(encode('{"messages":[]}'), 'c')).toBeUndefined();
    expect(replaceJsonModel(encode('[{"model":"a"}]'), 'c')).toBeUndefined();
  });
});

describe('switchModel', () => {
  function callOf(body: string, contentType = 'application/json'): GatewayCall {
    const json =
      contentType === 'application/json' ? (JSON.parse(body) as Record<string, unknown>) : undefined;
    return {
      model: typeof json?.model === 'string' ? json.model : 'whisper-1',
      upstream: { ...UPSTREAM, name: 'primary' },
      body: encode(body),
      json,
      contentType,
    } as GatewayCall;
  }

  it('moves a JSON call to the other model and upstream', () => {
    const call = callOf('{ "model" : "gpt-4o", "stream": false }');
    switchModel(call, 'gpt-4.1-mini', UPSTREAM);
    expect(call.model).toBe('gpt-4.1-mini');
    expect(call.upstream.name).toBe('backup');
    expect(call.json).toEqual({ model: 'gpt-4.1-mini', stream: false });
    expect(decode(call.body)).toBe('{ "model" : "gpt-4.1-mini", "stream": false }');
  });

  it('moves a multipart call by rewriting its model field', () => {
    const form =
      '--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n' +
      '--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF\r\n--b--\r\n';
    const call = callOf(form, 'multipart/form-data; boundary=b');
    switchModel(call, 'gpt-4o-transcribe', UPSTREAM);
    expect(call.model).toBe('gpt-4o-transcribe');
    expect(decode(call.body)).toBe(form.replace('whisper-1', 'gpt-4o-transcribe'));
  });
});
