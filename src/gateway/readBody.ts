import { GatewayError } from './gatewayError.js';

/** The whole body; a break-off surfaces as the GatewayError the upstream stream raised, or `upstream_interrupted`. */
export async function readAll(response: Response): Promise<ArrayBuffer> {
  try {
    return await response.arrayBuffer();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof GatewayError) throw cause;
    throw new GatewayError(
      'upstream_interrupted',
      'The upstream broke off its response. Retry the request.',
      {
        cause: error,
      },
    );
  }
}

/** The parsed JSON, or undefined when the bytes are not JSON. */
export function parseJson(bytes: ArrayBuffer): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
