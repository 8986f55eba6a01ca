import type { GatewayConfig, UpstreamConfig } from './config.js';
import { GatewayError } from './gatewayError.js';

export interface Route {
  /** The model sent upstream, after `aliases`. */
  model: string;
  /** The client's model name when an alias was applied. */
  alias: string | undefined;
  upstream: UpstreamConfig;
}

/** Models named in an unknown-model error. */
const LISTED_MODELS = 10;

/**
 * Requested model → alias → the first upstream of `kind` whose `models` holds it or '*'. The target
 * comes from the config alone; nothing in the request can name another host.
 */
export function resolveRoute(config: GatewayConfig, requested: string, kind: UpstreamConfig['kind']): Route {
  const aliased = Object.hasOwn(config.aliases, requested) ? config.aliases[requested] : undefined;
  const model = aliased ?? requested;
  const upstream = config.upstreams.find(
    (u) => u.kind === kind && (u.models.includes(model) || u.models.includes('*')),
  );
  if (!upstream) {
    const known = availableModels(config, kind);
    const shown = known.slice(0, LISTED_MODELS).join(', ');
    const more =
      known.length > LISTED_MODELS ? ` and ${known.length - LISTED_MODELS} more (GET /v1/models)` : '';
    const via = aliased ? ` (alias of "${requested}")` : '';
    throw new GatewayError(
      'model_not_found',
      known.length > 0
        ? `No upstream serves the model "${model}"${via}. Available: ${shown}${more}. Use one of these or add the model to an upstream's \`models\` in the gateway config.`
        : `No ${kind} upstream is configured for the model "${model}"${via}. Add an upstream of kind ${kind} to the gateway config.`,
      { param: 'model' },
    );
  }
  return { model, alias: aliased !== undefined && aliased !== requested ? requested : undefined, upstream };
}

/** Model names the upstreams of `kind` list (not '*'), then the aliases that lead to them; deduplicated. */
export function availableModels(config: GatewayConfig, kind?: UpstreamConfig['kind']): string[] {
  const upstreams = config.upstreams.filter((u) => kind === undefined || u.kind === kind);
  const names = new Set(upstreams.flatMap((u) => u.models.filter((m) => m !== '*')));
  const open = upstreams.some((u) => u.models.includes('*'));
  for (const [alias, target] of Object.entries(config.aliases)) {
    if (open || names.has(target)) names.add(alias);
  }
  return [...names];
}
