import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallLog } from './call-log.js';
import { ProviderError } from './provider-error.js';
import { readBody } from './read-body.js';
import type { RuleBook } from './rule-book.js';
import { ConfigurationError } from './validate.js';

/** What the control routes act on. */
export interface ControlState {
  readonly rules: RuleBook;
  readonly calls: CallLog;
  readonly maxBodyBytes: number;
}

/**
 * The simulator's own HTTP API under `/_sim/`, for benchmarks driving a simulator in another
 * process. It has no authentication: the simulator is meant for loopback only.
 *
 * - `GET /_sim/rules` → `{ rules }`
 * - `POST /_sim/rules` with `{ rules: [...] }` (or a bare array) → replaces the rules, `{ rules }`;
 *   an invalid rule answers 400 `{ error: { message, path } }` and changes nothing
 * - `GET /_sim/calls` → `{ calls }`, oldest first
 * - `DELETE /_sim/calls` → forgets the log, 204
 */
export async function handleControlRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  state: ControlState,
): Promise<void> {
  const send = (status: number, body?: unknown): void => {
    if (body === undefined) {
      response.writeHead(status).end();
      return;
    }
    const payload = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json' }).end(payload);
  };
  const route = `${request.method ?? 'GET'} ${path.replace(/\/$/, '')}`;
  try {
    const body = await readBody(request, state.maxBodyBytes);
    switch (route) {
      case 'GET /rules':
        return send(200, { rules: state.rules.rules });
      case 'POST /rules': {
        const input = parseControlJson(body);
        const rules = Array.isArray(input) ? input : (input as { rules?: unknown } | null)?.rules;
        return send(200, { rules: state.rules.replace(rules) });
      }
      case 'GET /calls':
        return send(200, { calls: state.calls.snapshot() });
      case 'DELETE /calls':
        state.calls.clear();
        return send(204);
      default:
        return send(404, { error: { message: `No control route ${route}` } });
    }
  } catch (error) {
    if (response.headersSent || response.destroyed) return;
    if (error instanceof ConfigurationError)
      return send(400, { error: { message: error.message, path: error.path } });
    if (error instanceof ProviderError) return send(error.status, { error: { message: error.message } });
    response.destroy();
  }
}

function parseControlJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new ProviderError({ status: 400, message: 'Body is not valid JSON' });
  }
}
