import { Agent, fetch as undiciFetch } from 'undici';
import { recordExchange } from '../runner/exchange-log.js';

let agents: Agent[] = [];
let addresses: readonly string[] = [];
let nextAgent = 0;

/**
 * Sends the suite's direct requests from these local addresses, round-robin. A run makes a few
 * hundred deliberate mistakes (that is what negative checks are); a wallet that throttles failed
 * requests per client address would otherwise lock the whole run out after its first few dozen.
 * Each address stands for another app on another machine. Empty: the system default.
 */
export function useSourceAddresses(localAddresses: readonly string[]): void {
  for (const agent of agents) void agent.close();
  agents = localAddresses.map((localAddress) => new Agent({ localAddress }));
  addresses = [...localAddresses];
  nextAgent = 0;
}

/**
 * The next of the addresses {@link useSourceAddresses} set, for the few requests that need
 * `node:http` itself (repeated header lines, which fetch joins); `undefined`: the system default.
 */
export function nextSourceAddress(): string | undefined {
  if (addresses.length === 0) return undefined;
  nextAgent = (nextAgent + 1) % addresses.length;
  return addresses[nextAgent];
}

function nextDispatcher(): Agent | undefined {
  if (agents.length === 0) return undefined;
  nextAgent = (nextAgent + 1) % agents.length;
  return agents[nextAgent];
}

/** A response read in full, with its body as text and as JSON when it parses. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, or `undefined` when it is not JSON. */
  readonly json: unknown;
  /** `Location` resolved against the request URL, for redirects. */
  readonly location: URL | undefined;
}

/** What to send. `form` and `json` set the body and its content type. */
export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  form?: Record<string, string | readonly string[]> | URLSearchParams;
  json?: unknown;
  body?: string;
}

/** Encodes a form, repeating a name for each value of an array. */
export function formBody(form: Record<string, string | readonly string[]> | URLSearchParams): string {
  if (form instanceof URLSearchParams) return form.toString();
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) {
    for (const item of typeof value === 'string' ? [value] : value) parameters.append(name, item);
  }
  return parameters.toString();
}

/**
 * Sends one request without following redirects (a redirect is evidence) and records it in the
 * current check's evidence.
 */
export async function send(url: string | URL, request: HttpRequest = {}): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...request.headers };
  let body = request.body;
  if (request.form) {
    body = formBody(request.form);
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers['content-type'] ??= 'application/json';
  }
  const method = request.method ?? (body === undefined ? 'GET' : 'POST');
  const target = String(url);
  try {
    const dispatcher = nextDispatcher();
    const response = await undiciFetch(target, {
      method,
      headers,
      redirect: 'manual',
      ...(body !== undefined && { body }),
      ...(dispatcher && { dispatcher }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const locationHeader = response.headers.get('location');
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    recordExchange({
      method,
      url: target,
      requestHeaders: headers,
      requestBody: body,
      status: response.status,
      responseHeaders,
      responseBody: text,
    });
    return {
      status: response.status,
      headers: response.headers as unknown as Headers,
      text,
      json,
      location: locationHeader ? new URL(locationHeader, target) : undefined,
    };
  } catch (error) {
    recordExchange({ method, url: target, requestHeaders: headers, requestBody: body, error: String(error) });
    throw error;
  }
}

/** Reads a member of a JSON object without trusting its shape. */
export function member(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
