import type { Deployment } from './event.js';

export interface ScopeRef {
  scope: 1 | 2 | 3;
  category: number | null;
  label: string;
}

/** GHG Protocol attribution of the operational figure and of the embodied figure. */
export interface GhgAttribution {
  operational: ScopeRef;
  embodied: ScopeRef;
}

const SCOPE2: ScopeRef = {
  scope: 2,
  category: null,
  label: 'Scope 2: purchased electricity (self-hosted inference)',
};
const CAT1: ScopeRef = { scope: 3, category: 1, label: 'Scope 3 category 1: purchased goods and services' };
const CAT2: ScopeRef = {
  scope: 3,
  category: 2,
  label: 'Scope 3 category 2: capital goods (accelerators you bought)',
};

/**
 * Managed APIs and rented GPUs are services bought from a supplier (Scope 3 cat. 1, operational and
 * embodied alike); self-hosted inference burns your own purchased electricity (Scope 2) on hardware
 * you bought (Scope 3 cat. 2, reported in the year of purchase; the per-call figure is its amortised share).
 */
export function ghgScopes(deployment: Deployment): GhgAttribution {
  if (deployment === 'self_hosted') return { operational: SCOPE2, embodied: CAT2 };
  return { operational: CAT1, embodied: CAT1 };
}
