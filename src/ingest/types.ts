import type { UsageEvent } from '../core/index.js';

export const IMPORT_FORMATS = ['jsonl', 'csv', 'openai-usage', 'invoice'] as const;

/** The file layouts `readEvents` understands; see docs/examples/README.md for each one. */
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One row of an import: a validated event, or why the row was rejected. Exactly one of the two is set. */
export interface ImportItem {
  /** 1-based physical line where the row starts (a CSV header is line 1); JSON exports: see the README. */
  line: number;
  event?: UsageEvent;
  error?: string;
}

export interface ReadOptions {
  /** Default: detected from the extension and the first line (see `detectFormat`). */
  format?: ImportFormat;
  /** CSV formats: column name -> UsageEvent field path (`img_w` -> `images.width`, `env` -> `tags.env`). */
  map?: Record<string, string>;
  /** Applied under each row: the row's own values win. */
  defaults?: Partial<UsageEvent>;
}

/** A row turned into an event-shaped object, before defaults and validation. */
export interface RawRow {
  line: number;
  value?: Record<string, unknown>;
  error?: string;
  /** Field path -> where its value came from (`column "prompt_tokens"`), so errors can name it. */
  sources?: Record<string, string>;
  /** Prefix for error messages when the line alone does not locate the row (JSON exports). */
  where?: string;
}
