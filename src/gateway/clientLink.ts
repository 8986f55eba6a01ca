import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayCall } from './policy.js';

/**
 * The client's side of one call: its request headers as node:http parsed them, and whether it has
 * gone away. A call's `headers` and `signal` (web types, for policies) are made from it only when
 * something reads them, so that a call no policy looks at costs neither.
 */
export class ClientLink {
  private gone = false;
  private controller: AbortController | undefined;
  private listeners: (() => void)[] | undefined;

  constructor(readonly headers: IncomingHttpHeaders) {}

  get isGone(): boolean {
    return this.gone;
  }

  /** Aborts when the client goes. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.gone) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** Calls `listener` once when the client goes, at once if it has; answers a function that forgets it. */
  onGone(listener: () => void): () => void {
    if (this.gone) {
      listener();
      return noop;
    }
    this.listeners ??= [];
    this.listeners.push(listener);
    return () => {
      const i = this.listeners?.indexOf(listener) ?? -1;
      if (i >= 0) this.listeners?.splice(i, 1);
    };
  }

  /** The client's connection closed before its answer was complete. */
  markGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.controller?.abort();
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener();
  }
}

function noop(): void {}

/** Where a call keeps its link; a copy of the call (`{ ...call }`) keeps it too. */
export const CLIENT_LINK = Symbol('greenprint.clientLink');

/** The link of a call the gateway built; undefined for a call a policy made up from scratch. */
export function clientLinkOf(call: GatewayCall): ClientLink | undefined {
  return (call as { [CLIENT_LINK]?: ClientLink })[CLIENT_LINK];
}
