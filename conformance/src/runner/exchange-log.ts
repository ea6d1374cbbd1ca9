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
