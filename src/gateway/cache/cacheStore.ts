import { z } from 'zod';

/** An upstream answer as the cache keeps it: enough to send it again, byte for byte. */
export interface StoredAnswer {
  status: number;
  /** Response headers, in order; hop-by-hop, length and `x-greenprint-*` headers are left out. */
  headers: [string, string][];
  /** The response body, base64. */
  body: string;
  /** Epoch ms when the answer was stored. */
  storedAt: number;
}

/** Where the response cache keeps answers: in process (`MemoryCacheStore`) or shared (`RedisCacheStore`). */
export interface CacheStore {
  /** The answer stored under `key`, or undefined when there is none, it expired or the store is down. */
  get(key: string): Promise<StoredAnswer | undefined>;
  /** Stores `answer` under `key` for `ttlSeconds` seconds, replacing any answer already there. */
  set(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}

/** Checks an answer read back from outside the process (Redis): a malformed one counts as a miss. */
export const storedAnswerSchema = z.object({
  status: z.number().int().min(100).max(599),
  headers: z.array(z.tuple([z.string(), z.string()])),
  body: z.string(),
  storedAt: z.number(),
});
