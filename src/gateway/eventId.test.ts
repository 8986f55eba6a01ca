import { describe, expect, it } from 'vitest';
import { newEventId } from '../ledger/index.js';
import { gatewayEventId } from './eventId.js';

describe('gatewayEventId', () => {
  it("has the ledger's id format and sorts by time", () => {
    const at = Date.parse('2026-11-26T05:00:00Z');
    const id = gatewayEventId(at);
    const shape = /^gw_[0-9a-z]{9}[0-9a-f]{12}$/;
    expect(newEventId(at, 'gw')).toMatch(shape);
    expect(id).toMatch(shape);
    expect(id.slice(0, 12)).toBe(newEventId(at, 'gw').slice(0, 12));
    expect(gatewayEventId(at + 1) > id).toBe(true);
  });

  it('does not repeat across pool refills', () => {
    const ids = new Set(Array.from({ length: 5000 }, () => gatewayEventId(0)));
    expect(ids.size).toBe(5000);
  });
});
