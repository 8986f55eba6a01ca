import { describe, expect, it } from 'vitest';
import { usageEventSchema } from '../core/index.js';
import { COLUMN_ALIASES, FIELD_KINDS, resolveField } from './fieldPaths.js';

/** Leaf paths of the event schema, one level deep as the event is. */
function schemaPaths(): string[] {
  const paths: string[] = [];
  for (const [key, field] of Object.entries(usageEventSchema.shape)) {
    if (key === 'tags') continue;
    const inner = (field as { unwrap?: () => unknown }).unwrap?.() as
      | { shape?: Record<string, unknown> }
      | undefined;
    if (inner?.shape) for (const sub of Object.keys(inner.shape)) paths.push(`${key}.${sub}`);
    else paths.push(key);
  }
  return paths;
}

describe('field paths', () => {
  it('cover every field of the usage event schema, and nothing else', () => {
    expect(Object.keys(FIELD_KINDS).sort()).toEqual(schemaPaths().sort());
  });

  it('aliases point at real fields', () => {
    for (const field of Object.values(COLUMN_ALIASES)) expect(FIELD_KINDS[field], field).toBeDefined();
  });

  it('resolve names in any case and spacing, aliases and tags', () => {
    expect(resolveField('INPUTTOKENS')).toBe('inputTokens');
    expect(resolveField(' Prompt Tokens ')).toBe('inputTokens');
    expect(resolveField('completion-tokens')).toBe('outputTokens');
    expect(resolveField('images.Width')).toBe('images.width');
    expect(resolveField('tags.Cost.Center')).toBe('tags.Cost.Center');
    expect(resolveField('cost_usd')).toBeUndefined();
  });
});
