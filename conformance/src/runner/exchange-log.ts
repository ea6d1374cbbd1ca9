import { AsyncLocalStorage } from 'node:async_hooks';
import type { Exchange } from '../model/types.js';
import { maskHeaders, maskText } from './mask-secrets.js';

const BODY_LIMIT = 2_000;

/** The exchanges of the check currently running; checks may run concurrently, so it follows async context. */
const current = new AsyncLocalStorage<Exchange[]>();

/** Runs `work` collecting every exchange it makes into `sink`. */
export function collectExchanges<T>(sink: Exchange[], work: () => Promise<T>): Promise<T> {
  return current.run(sink, work);
}

const clip = (text: string) =>
  text.length > BODY_LIMIT
    ? `${text.slice(0, BODY_LIMIT)}… [${text.length - BODY_LIMIT} more characters]`
    : text;

/** Records a finished exchange in the current check, masked. */
export function recordExchange(exchange: {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: string | undefined;
  status?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string | undefined;
  error?: string;
}): void {
  harvestSecrets(exchange);
  const sink = current.getStore();
  if (!sink) return;
  sink.push({
    request: {
      method: exchange.method,
      url: maskText(exchange.url),
      headers: maskHeaders(exchange.requestHeaders),
      ...(exchange.requestBody !== undefined && { body: clip(maskText(exchange.requestBody)) }),
    },
    ...(exchange.status !== undefined && {
      response: {
        status: exchange.status,
        headers: maskHeaders(exchange.responseHeaders ?? {}),
        ...(exchange.responseBody !== undefined && { body: clip(maskText(exchange.responseBody)) }),
      },
    }),
    ...(exchange.error !== undefined && { error: exchange.error }),
  });
}

const CREDENTIAL_HEADERS = [
  'authorization',
  'dpop',
  'x-api-key',
  'cookie',
  'set-cookie',
  'allowance-confirmation',
];
// Form and query parameters (`code=` here is the authorization code), and JSON members, that
// carry credentials. A JSON `code` is an error code, not a credential, so it is not among them.
const CREDENTIAL_PARAMETERS =
  /(?:^|[?&])(access_token|refresh_token|code|device_code|client_secret|code_verifier|registration_access_token)=([^&\s]+)/g;
const CREDENTIAL_MEMBERS =
  /"(access_token|refresh_token|id_token|device_code|client_secret|registration_access_token)"\s*:\s*"([^"]+)"/g;
const harvested = new Set<string>();

/** Remembers every credential the suite sent or received, for the [SEC-12] log search. */
function harvestSecrets(exchange: {
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: string | undefined;
  responseHeaders?: Record<string, string>;
  responseBody?: string | undefined;
}): void {
  const keep = (value: string | undefined) => {
    // Short values (a user code, a nonce) would match by chance in any log; they are not searched.
    // Plain words (`Bearer`, an error code) are not credentials.
    if (value === undefined || value.length < 16 || /^[a-z_]+$/i.test(value)) return;
    if (harvested.size < 20_000) harvested.add(value);
  };
  for (const headers of [exchange.requestHeaders, exchange.responseHeaders ?? {}]) {
    for (const [name, value] of Object.entries(headers)) {
      if (!CREDENTIAL_HEADERS.includes(name.toLowerCase())) continue;
      for (const part of value.split(/[;,]\s*|\s+/))
        keep(part.includes('=') ? part.slice(part.indexOf('=') + 1) : part);
    }
  }
  for (const text of [exchange.url, exchange.requestBody ?? '', exchange.responseBody ?? '']) {
    for (const match of text.matchAll(CREDENTIAL_PARAMETERS)) keep(decodeURIComponentSafely(match[2] ?? ''));
    for (const match of text.matchAll(CREDENTIAL_MEMBERS)) keep(match[2]);
  }
}

function decodeURIComponentSafely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Every credential (token, code, proof, secret, cookie) seen in this process's exchanges so far. */
export function harvestedSecrets(): readonly string[] {
  return [...harvested];
}
