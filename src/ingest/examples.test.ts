import { describe, expect, it } from 'vitest';
import { createEstimator, type UsageEvent } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { type ImportItem, readEvents } from './index.js';

const EXAMPLES = new URL('../../docs/examples/', import.meta.url);

async function collect(name: string): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for await (const item of readEvents(new URL(name, EXAMPLES).pathname)) items.push(item);
  return items;
}

describe('docs/examples', () => {
  it('the content pipeline covers three runs of six stages with catalog models', async () => {
    const items = await collect('content-pipeline.jsonl');
    expect(items.filter((i) => i.error)).toEqual([]);
    const events = items.map((i) => i.event as UsageEvent);
    expect(events).toHaveLength(40);
    expect(new Set(events.map((e) => e.id)).size).toBe(40);
    expect(new Set(events.map((e) => e.run))).toEqual(new Set(['run-2024-03', 'run-2024-04', 'run-2024-05']));
    const stages = [...new Set(events.map((e) => e.stage))];
    expect(stages).toEqual(['brief', 'script', 'storyboard', 'voice-over', 'video', 'captions']);
    expect(events.every((e) => e.project === 'brand-campaign' && e.pipeline === 'product-launch')).toBe(true);
    expect(events.every((e) => e.startTime?.startsWith('2024-'))).toBe(true);
  });

  it.each(['content-pipeline.jsonl', 'usage.csv', 'openai-usage.json', 'invoice.csv'])(
    '%s estimates without errors: every model is in the catalog and every row has its units',
    async (name) => {
      const estimator = createEstimator(loadReferenceData());
      const items = await collect(name);
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        expect(item.error, `line ${item.line}`).toBeUndefined();
        // Throws on an unknown model or missing units; zero energy would mean the quantities were lost,
        // except for an invoice's cached-input line, which the estimator counts as no prefill work.
        const event = item.event as UsageEvent;
        const impact = estimator.estimate(event);
        const allCached =
          !event.outputTokens && !!event.inputTokens && event.cachedInputTokens === event.inputTokens;
        if (allCached) expect(impact.energyWh.mid, `line ${item.line}`).toBe(0);
        else expect(impact.energyWh.mid, `line ${item.line}`).toBeGreaterThan(0);
      }
    },
  );
});
