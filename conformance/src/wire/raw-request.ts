import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { recordExchange } from '../runner/exchange-log.js';
import { type HttpResponse, nextSourceAddress } from './http.js';

/** One request whose header lines go on the wire exactly as listed. */
export interface RawRequest {
  method: string;
  /** Header lines in order, names in the case given; a name listed twice is sent on two lines. */
  headers: readonly (readonly [string, string])[];
  body?: string;
}

/**
 * Sends one request with `node:http` and a raw header array, for what fetch cannot send: a
 * header repeated on separate lines (fetch joins them with a comma) and a header name in a case
 * of the suite's choosing (fetch lowercases names). Recorded in the current check's evidence.
 */
export function sendRaw(url: string, request: RawRequest): Promise<HttpResponse> {
  const target = new URL(url);
  const body = request.body ?? '';
  const lines: string[] = ['Host', target.host];
  for (const [name, value] of request.headers) lines.push(name, value);
  lines.push('Content-Length', String(Buffer.byteLength(body)), 'Connection', 'close');
  const localAddress = nextSourceAddress();
  const evidence = evidenceHeaders(request.headers);
  return new Promise<HttpResponse>((resolve, reject) => {
    const outgoing = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: `${target.pathname}${target.search}`,
        headers: lines,
        ...(localAddress !== undefined && { localAddress }),
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Headers();
          const recorded: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const item of Array.isArray(value) ? value : [value ?? '']) headers.append(name, item);
            recorded[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
          }
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          const status = incoming.statusCode ?? 0;
          recordExchange({
            method: request.method,
            url,
            requestHeaders: evidence,
            requestBody: body,
            status,
            responseHeaders: recorded,
            responseBody: text,
          });
          const location = headers.get('location');
          resolve({ status, headers, text, json, location: location ? new URL(location, url) : undefined });
        });
      },
    );
    outgoing.on('error', (error) => {
      recordExchange({
        method: request.method,
        url,
        requestHeaders: evidence,
        requestBody: body,
        error: String(error),
      });
      reject(error);
    });
    outgoing.end(body);
  });
}

/**
 * The evidence shows headers by lowercased name, one value each: a repeated line is shown under a
 * numbered name, and a note lists the names exactly as they went out, since that is what these
 * requests are about.
 */
function evidenceHeaders(headers: RawRequest['headers']): Record<string, string> {
  const recorded: Record<string, string> = {};
  const seen = new Map<string, number>();
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    const count = (seen.get(lower) ?? 0) + 1;
    seen.set(lower, count);
    recorded[count === 1 ? lower : `${lower} (line ${count})`] = value;
  }
  recorded['x-conformance-note'] = `header lines as sent: ${headers.map(([name]) => name).join(', ')}`;
  return recorded;
}
