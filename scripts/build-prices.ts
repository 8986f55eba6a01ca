/**
 * Writes data/prices.json: public per-token list prices for catalog models, taken offline from
 * @pydantic/genai-prices (MIT) so the runtime needs neither the network nor the library's matcher.
 *   npm run build:prices
 */
import { writeFileSync } from 'node:fs';
import { calcPrice } from '@pydantic/genai-prices';
import type { PriceRecord } from '../src/core/index.js';
import { loadFittingInputs } from '../src/data/index.js';

/** Catalog provider ids → genai-prices provider ids. Open-weight hub models have no single price. */
const PROVIDERS: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google_genai: 'google',
  mistralai: 'mistral',
  cohere: 'cohere',
};

const pkg = '@pydantic/genai-prices';
const ref = loadFittingInputs();
const prices: PriceRecord[] = [];
for (const m of ref.models) {
  const providerId = PROVIDERS[m.provider];
  if (!providerId) continue;
  // Price a small request so long-context tiers do not apply; scale back to per-million.
  const plain = calcPrice({ input_tokens: 1000, output_tokens: 1000 }, m.id, { providerId });
  if (!plain) continue;
  const cached = calcPrice({ input_tokens: 1000, cache_read_tokens: 1000, output_tokens: 0 }, m.id, {
    providerId,
  });
  const record: PriceRecord = {
    model: m.id,
    provider: m.provider,
    inputPerMTok: round(plain.input_price * 1000),
    outputPerMTok: round(plain.output_price * 1000),
    source: `${pkg} (github.com/pydantic/genai-prices, MIT), model "${plain.model.id}" of provider "${plain.provider.id}"${plain.provider.pricing_urls?.[0] ? `; ${plain.provider.pricing_urls[0]}` : ''}`,
  };
  if (cached && cached.input_price !== plain.input_price)
    record.cachedInputPerMTok = round(cached.input_price * 1000);
  prices.push(record);
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}

const out = new URL('../data/prices.json', import.meta.url);
writeFileSync(out, `${JSON.stringify({ generatedFrom: `${pkg} offline data`, prices }, null, 2)}\n`);
console.log(`wrote ${prices.length} prices to ${out.pathname}`);
