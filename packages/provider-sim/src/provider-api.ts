import type { IncomingMessage } from 'node:http';
import type { CallContext } from './call-context.js';
import type { ProviderConfig } from './options.js';
import { ProviderError } from './provider-error.js';
import { parseJsonBody, readBody } from './read-body.js';

/** One route of a provider family's API, matched against the path below the provider's mount. */
export interface Endpoint {
  readonly method: 'GET' | 'POST';
  /** Matched against the path below the mount point, e.g. `/v1/models/gpt-4o`. */
  readonly path: RegExp;
  /** Answers the call; `body` is the parsed JSON body (`undefined` for GET). */
  handle(context: CallContext, body: unknown, match: RegExpExecArray): Promise<void>;
}

/** What differs between provider families: routes, credential checks and error wording. */
export interface ProviderApi {
  readonly endpoints: readonly Endpoint[];
  /** The error to answer when credentials or required headers are missing or wrong. */
  checkHeaders(request: IncomingMessage, provider: ProviderConfig): ProviderError | undefined;
  /** The 400 message for a body that is not JSON. */
  readonly malformedJsonMessage: string;
  /** The 404 for a path or method the API does not have. */
  notFound(method: string, path: string): ProviderError;
}

/**
 * The request pipeline shared by every provider call: read body → route → check credentials →
 * parse JSON → endpoint. Any {@link ProviderError} thrown along the way is answered in the
 * family's shape; anything else becomes a 500 (or a dropped connection once streaming began), so
 * no request can crash the simulator.
 */
export async function handleProviderCall(
  context: CallContext,
  api: ProviderApi,
  path: string,
): Promise<void> {
  const method = context.request.method ?? 'GET';
  try {
    const body = await readBody(context.request, context.options.maxBodyBytes);
    const route = findRoute(api, method, path);
    if (route === undefined) throw api.notFound(method, path);
    const headerError = api.checkHeaders(context.request, context.provider);
    if (headerError !== undefined) throw headerError;
    const json = route.endpoint.method === 'POST' ? parseJsonBody(body, api.malformedJsonMessage) : undefined;
    await route.endpoint.handle(context, json, route.match);
  } catch (error) {
    if (context.signal.aborted) return;
    if (error instanceof ProviderError) {
      context.sendError(error);
    } else if (!context.response.headersSent) {
      const detail = error instanceof Error ? error.message : String(error);
      context.sendError(new ProviderError({ status: 500, message: `Simulator failure: ${detail}` }));
    } else {
      context.drop();
    }
  }
}

function findRoute(
  api: ProviderApi,
  method: string,
  path: string,
): { endpoint: Endpoint; match: RegExpExecArray } | undefined {
  for (const endpoint of api.endpoints) {
    if (endpoint.method !== method) continue;
    const match = endpoint.path.exec(path);
    if (match !== null) return { endpoint, match };
  }
  return undefined;
}
