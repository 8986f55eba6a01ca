import type { Operation } from '../core/index.js';
import type { Protocol } from './gatewayError.js';
import {
  anthropicMeter,
  embeddingsMeter,
  imagesMeter,
  type Meter,
  openAITokensMeter,
  speechMeter,
  transcriptionMeter,
} from './meters.js';

/** One proxied route: where it goes upstream and how its usage is read. */
export interface Endpoint {
  /** Gateway route; upstream, the same path under `baseUrl` (which ends with the version, e.g. …/v1). */
  path: string;
  /** Wire protocol, which is also the `kind` of upstream that can serve it. */
  protocol: Protocol;
  operation: Operation;
  body: 'json' | 'multipart';
  /** Streams report usage only when asked with `stream_options.include_usage`. */
  streamUsageOption: boolean;
  meter: Meter;
}

export const ENDPOINTS: readonly Endpoint[] = [
  {
    path: '/v1/chat/completions',
    protocol: 'openai',
    operation: 'chat',
    body: 'json',
    streamUsageOption: true,
    meter: openAITokensMeter,
  },
  {
    path: '/v1/completions',
    protocol: 'openai',
    operation: 'text_completion',
    body: 'json',
    streamUsageOption: true,
    meter: openAITokensMeter,
  },
  {
    path: '/v1/embeddings',
    protocol: 'openai',
    operation: 'embeddings',
    body: 'json',
    streamUsageOption: false,
    meter: embeddingsMeter,
  },
  {
    path: '/v1/images/generations',
    protocol: 'openai',
    operation: 'image_generation',
    body: 'json',
    streamUsageOption: false,
    meter: imagesMeter,
  },
  {
    path: '/v1/audio/speech',
    protocol: 'openai',
    operation: 'audio_speech',
    body: 'json',
    streamUsageOption: false,
    meter: speechMeter,
  },
  {
    path: '/v1/audio/transcriptions',
    protocol: 'openai',
    operation: 'audio_transcription',
    body: 'multipart',
    streamUsageOption: false,
    meter: transcriptionMeter,
  },
  {
    path: '/v1/messages',
    protocol: 'anthropic',
    operation: 'chat',
    body: 'json',
    streamUsageOption: false,
    meter: anthropicMeter,
  },
];
