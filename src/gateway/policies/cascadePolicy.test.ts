import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';
import { CLIENT_KEY, startGateway, type TestGateway, until } from '../fixtures/harness.js';
import type { GatewayPolicy } from '../policy.js';
import { outcomeSpy } from './fixtures/policySpies.js';
import {
  chatAnswer,
  errorAnswer,
  SCRIPTED_COMPLETION_TOKENS,
  type ScriptedReply,
  type ScriptedUpstream,
  startScriptedUpstream,
} from './fixtures/scriptedUpstream.js';
import {
  cascadePolicy,
  type DiscardedAttempt,
  fallbackPolicy,
  routePoliciesSchema,
  upstreamResolver,
} from './index.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway | undefined;

const AUTH = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };
const HI = [{ role: 'user', content: 'What is the capital of France?' }];

const ROUTES = [
  {
    match: 'auto',
    retries: { attempts: 2, baseDelayMs: 1 },
    cascade: {
      models: ['small', 'medium', 'large'],
      escalateOn: ['refusal', 'invalid_json', 'length', 'too_short'],
      minChars: 8,
    },
  },
  {
    match: 'auto-json',
    cascade: {
      models: ['small', 'medium', 'large'],
      escalateOn: ['invalid_json'],
      jsonSchema: { required: ['answer'] },
    },
  },
];

beforeAll(async () => {
  upstream = await startScriptedUpstream();
});

afterEach(async () => {
  upstream.reset();
  await gateway?.close();
  gateway = undefined;
});

afterAll(async () => {
  await upstream.close();
});

/** A gateway with [spy, cascadePolicy, fallbackPolicy] over one upstream serving every model. */
async function start() {
  const raw = {
    upstreams: [{ name: 'open', baseUrl: `${upstream.url}/v1`, provider: 'openai', region: 'us-east-1' }],
  };
  const routes = routePoliciesSchema.parse(ROUTES);
  const resolveUpstream = upstreamResolver(parseGatewayConfig(raw));
  const spy = outcomeSpy();
  const discarded: DiscardedAttempt[] = [];
  const policies: GatewayPolicy[] = [
    spy.policy,
    cascadePolicy(routes, { resolveUpstream, onDiscarded: (attempt) => discarded.push(attempt) }),
    fallbackPolicy(routes, { resolveUpstream }),
  ];
  gateway = await startGateway(raw, { policies });
  return { gateway, outcomes: spy.outcomes, discarded };
}

/** Each model answers with its own reply; unlisted models answer an adequate text. */
function answers(byModel: Record<string, ScriptedReply>) {
  upstream.script = (request) =>
    byModel[request.model ?? ''] ?? chatAnswer(request.model ?? '', 'Paris is the capital of France.');
}

async function ask(url: string, body: Record<string, unknown>) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: AUTH,
    body: JSON.stringify(body),
  });
  return { res, answer: (await res.json()) as { choices: { message: { content: string | null } }[] } };
}

const models = () => upstream.requests.map((r) => r.model);

describe('cascadePolicy', () => {
  it('escalates past a refusal and stops at the first adequate answer', async () => {
    const { gateway, outcomes, discarded } = await start();
    answers({ small: chatAnswer('small', "I'm sorry, I can't help with that.") });

    const { res, answer } = await ask(gateway.url, { model: 'auto', messages: HI });
    expect(res.status).toBe(200);
    expect(answer.choices[0]?.message.content).toBe('Paris is the capital of France.');
    expect(models()).toEqual(['small', 'medium']);
    const headers = outcomes[0]?.headers;
    expect(headers?.get('x-greenprint-cascade')).toBe('small>medium');
    expect(headers?.get('x-greenprint-route')).toBe('medium');
    expect(JSON.parse(headers?.get('x-greenprint-cascade-usage') ?? 'null')).toEqual([
      {
        model: 'small',
        prompt_tokens: 'small'.length,
        completion_tokens: SCRIPTED_COMPLETION_TOKENS,
        reason: 'refusal',
      },
    ]);
    // The limitation: only the returned answer is metered; the thrown-away one comes out through onDiscarded.
    expect(gateway.sink.events.map((e) => e.requestModel)).toEqual(['medium']);
    expect(discarded).toHaveLength(1);
    expect(discarded[0]?.call.model).toBe('small');
    expect(discarded[0]?.call.upstream.name).toBe('open');
    expect(JSON.parse(Buffer.from(discarded[0]?.call.body ?? []).toString('utf8')).model).toBe('small');
    expect(discarded[0]?.usage.reason).toBe('refusal');
  });

  it('escalates on a refusal field with no content', async () => {
    const { gateway, outcomes } = await start();
    answers({ small: chatAnswer('small', null, { refusal: 'I will not do that.' }) });
    await ask(gateway.url, { model: 'auto', messages: HI });
    expect(models()).toEqual(['small', 'medium']);
    expect(outcomes[0]?.headers?.get('x-greenprint-cascade')).toBe('small>medium');
    // 'refusal' comes first in escalateOn, before 'too_short' (which an empty content also fails).
    const [usage] = JSON.parse(outcomes[0]?.headers?.get('x-greenprint-cascade-usage') ?? '[]');
    expect(usage?.reason).toBe('refusal');
  });

  it('answers with the smallest model when its answer is adequate', async () => {
    const { gateway, outcomes, discarded } = await start();
    answers({});
    await ask(gateway.url, { model: 'auto', messages: HI });
    expect(models()).toEqual(['small']);
    expect(outcomes[0]?.headers?.get('x-greenprint-cascade')).toBe('small');
    expect(outcomes[0]?.headers?.get('x-greenprint-cascade-usage')).toBeNull();
    expect(discarded).toEqual([]);
  });

  it('escalates on invalid JSON when the request asked for a JSON object', async () => {
    const { gateway, outcomes } = await start();
    answers({
      small: chatAnswer('small', 'Sure! {"city": "Paris"}'),
      medium: chatAnswer('medium', '{"city": "Paris"}'),
    });
    const { answer } = await ask(gateway.url, {
      model: 'auto',
      messages: HI,
      response_format: { type: 'json_object' },
    });
    expect(answer.choices[0]?.message.content).toBe('{"city": "Paris"}');
    expect(models()).toEqual(['small', 'medium']);
    expect(outcomes[0]?.headers?.get('x-greenprint-cascade')).toBe('small>medium');
  });

  it('does not judge JSON when nobody asked for it', async () => {
    const { gateway } = await start();
    answers({ small: chatAnswer('small', 'Sure! {"city": "Paris"}') });
    await ask(gateway.url, { model: 'auto', messages: HI });
    expect(models()).toEqual(['small']);
  });

  it('escalates on JSON that lacks the keys the request schema or the route requires', async () => {
    const { gateway, outcomes } = await start();
    answers({
      small: chatAnswer('small', '{"city": "Paris"}'),
      medium: chatAnswer('medium', '{"answer": "Paris", "city": "Paris"}'),
    });
    await ask(gateway.url, { model: 'auto-json', messages: HI });
    expect(models()).toEqual(['small', 'medium']);

    upstream.requests.length = 0;
    await ask(gateway.url, {
      model: 'auto',
      messages: HI,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'a', schema: { type: 'object', required: ['answer'] } },
      },
    });
    expect(models()).toEqual(['small', 'medium']);
    expect(outcomes[1]?.headers?.get('x-greenprint-cascade')).toBe('small>medium');
  });

  it('escalates on finish_reason length and on a too-short answer', async () => {
    const { gateway, outcomes } = await start();
    answers({
      small: chatAnswer('small', 'Paris is the capi', { finish_reason: 'length' }),
      medium: chatAnswer('medium', 'Paris'),
    });
    const { answer } = await ask(gateway.url, { model: 'auto', messages: HI });
    expect(answer.choices[0]?.message.content).toBe('Paris is the capital of France.');
    expect(models()).toEqual(['small', 'medium', 'large']);
    expect(outcomes[0]?.headers?.get('x-greenprint-cascade')).toBe('small>medium>large');
    const usage = JSON.parse(outcomes[0]?.headers?.get('x-greenprint-cascade-usage') ?? '[]') as {
      model: string;
      reason: string;
    }[];
    expect(usage.map((u) => `${u.model}:${u.reason}`)).toEqual(['small:length', 'medium:too_short']);
  });

  it("returns the last model's answer even when it is not adequate", async () => {
    const { gateway, outcomes } = await start();
    const refusal = (model: string) => chatAnswer(model, 'As an AI, I cannot answer.');
    answers({ small: refusal('small'), medium: refusal('medium'), large: refusal('large') });
    const { answer } = await ask(gateway.url, { model: 'auto', messages: HI });
    expect(answer.choices[0]?.message.content).toBe('As an AI, I cannot answer.');
    expect(models()).toEqual(['small', 'medium', 'large']);
    expect(outcomes[0]?.headers?.get('x-greenprint-route')).toBe('large');
    expect(gateway.sink.events.map((e) => e.requestModel)).toEqual(['large']);
  });

  it('returns an error answer as it is, after the fallback policy inside it has retried', async () => {
    const { gateway, outcomes } = await start();
    upstream.script = () => errorAnswer(400);
    const { res } = await ask(gateway.url, { model: 'auto', messages: HI });
    expect(res.status).toBe(400);
    expect(models()).toEqual(['small']);

    upstream.requests.length = 0;
    upstream.script = (request, index) =>
      index === 0
        ? errorAnswer(503, { 'retry-after': '0' })
        : chatAnswer(request.model ?? '', 'Paris, France.');
    const second = await ask(gateway.url, { model: 'auto', messages: HI });
    expect(second.res.status).toBe(200);
    expect(models()).toEqual(['small', 'small']);
    expect(outcomes[1]?.headers?.get('x-greenprint-cascade')).toBe('small');
  });

  it('calls no larger model once the client has gone', async () => {
    const { gateway, outcomes } = await start();
    answers({ small: { hang: true } });
    const controller = new AbortController();
    const pending = fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ model: 'auto', messages: HI }),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(await until(() => upstream.requests.length === 1)).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await until(() => outcomes.length === 1)).toBe(true);
    expect(models()).toEqual(['small']);
  });

  it('leaves streams and other models alone', async () => {
    const { gateway, outcomes } = await start();
    answers({});
    await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ model: 'auto', messages: HI, stream: true }),
    }).then((r) => r.text());
    await ask(gateway.url, { model: 'gpt-4o', messages: HI });
    expect(models()).toEqual(['auto', 'gpt-4o']);
    expect(outcomes.map((o) => o.headers?.get('x-greenprint-cascade') ?? null)).toEqual([null, null]);
  });
});
