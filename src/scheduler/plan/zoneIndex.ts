import type { Series } from '../series.js';

/**
 * One zone's signal prepared for repeated searches: prefix sums make any window's total O(1), and
 * the slot order by (value, index) — built on first use — lets many interruptible jobs pick their
 * lowest slots without sorting each window again.
 */
export class ZoneIndex {
  readonly series: Series;
  readonly values: Float64Array;
  /** `prefix[i]` = Σ values[0 … i). */
  readonly prefix: Float64Array;
  #order: Int32Array | undefined;
  #rank: Int32Array | undefined;

  constructor(series: Series) {
    this.series = series;
    this.values = series.values;
    const n = series.values.length;
    const prefix = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] as number) + (series.values[i] as number);
    this.prefix = prefix;
  }

  get hasOrder(): boolean {
    return this.#order !== undefined;
  }

  /** Slot indices by ascending value, ties by index: the order every lowest-slots search follows. */
  order(): Int32Array {
    if (!this.#order) {
      const v = this.values;
      const order = new Int32Array(v.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      order.sort((a, b) => (v[a] as number) - (v[b] as number) || a - b);
      this.#order = order;
    }
    return this.#order;
  }

  /** `rank()[slot]` = position of the slot in `order()`. */
  rank(): Int32Array {
    if (!this.#rank) {
      const order = this.order();
      const rank = new Int32Array(order.length);
      for (let r = 0; r < order.length; r++) rank[order[r] as number] = r;
      this.#rank = rank;
    }
    return this.#rank;
  }
}

/** Lazily indexed signals, one `ZoneIndex` per zone asked for. */
export class SignalIndex {
  readonly #signals: ReadonlyMap<string, Series>;
  readonly #zones = new Map<string, ZoneIndex>();

  constructor(signals: ReadonlyMap<string, Series>) {
    this.#signals = signals;
  }

  get zones(): string[] {
    return [...this.#signals.keys()];
  }

  get(zone: string): ZoneIndex | undefined {
    let ix = this.#zones.get(zone);
    if (!ix) {
      const series = this.#signals.get(zone);
      if (!series) return undefined;
      ix = new ZoneIndex(series);
      this.#zones.set(zone, ix);
    }
    return ix;
  }
}
