import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallRecord } from './call-log.js';
import { renderError } from './error-response.js';
import type { ProviderConfig, ResolvedOptions } from './options.js';
import { sleep, waitForAbort } from './pacing.js';
import { ProviderError } from './provider-error.js';
import type { RuleBook } from './rule-book.js';
import type { SimulationRule } from './rules.js';
import type { ReportedUsage } from './usage.js';

/** What a request asks for, as far as rules and the call log care. */
export interface CallDescription {
  readonly model: string | null;
  readonly stream: boolean;
  readonly store?: boolean | null;
}

/**
 * One provider call in flight: its log record, the HTTP exchange, and an `AbortSignal` that
 * fires when the client goes away or the simulator shuts down. Handlers write through it so the
 * log always says what the client actually received.
 */
export class CallContext {
  readonly record: CallRecord;
  readonly provider: ProviderConfig;
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly options: ResolvedOptions;
  /** Aborted when the connection closes before the response completes, or on shutdown. */
  readonly signal: AbortSignal;
  /** Resolves once the exchange is over, however it ended. */
  readonly settled: Promise<void>;
  readonly #abortController = new AbortController();
  readonly #rules: RuleBook;
  #ending: 'dropped' | 'shutdown' | undefined;
  #rule: SimulationRule | undefined;

  constructor(
    init: Pick<CallContext, 'record' | 'provider' | 'request' | 'response' | 'options'>,
    rules: RuleBook,
  ) {
    this.record = init.record;
    this.provider = init.provider;
    this.request = init.request;
    this.response = init.response;
    this.options = init.options;
    this.#rules = rules;
    this.signal = this.#abortController.signal;
    this.response.setHeader(
      this.provider.family === 'openai' ? 'x-request-id' : 'request-id',
      this.record.id,
    );
    this.settled = new Promise((resolve) => {
      this.response.once('close', () => {
        this.#onClose();
        resolve();
      });
    });
  }

  /** The time since the request arrived, in milliseconds. */
  get elapsedMs(): number {
    return this.options.clock() - this.record.startedAt;
  }

  /**
   * Records what the request asks for, then applies the first matching rule: waits its latency,
   * hangs or answers its fault. Returns the rule when the endpoint should go on and answer, or
   * `undefined` when the call has already been dealt with (fault sent, client gone).
   */
  async applyRule(description: CallDescription): Promise<SimulationRule | undefined> {
    this.record.model = description.model;
    this.record.stream = description.stream;
    this.record.store = description.store ?? null;
    const rule = this.#rules.take({ provider: this.provider.id, model: description.model });
    if (!(await sleep(rule.latencyMs ?? 0, this.signal))) return undefined;
    this.#rule = rule;
    if (rule.redirectTo !== undefined) {
      this.sendJson(307, { error: { message: 'Moved', type: 'redirect' } }, { location: rule.redirectTo });
      return undefined;
    }
    if (rule.hang === true) {
      await waitForAbort(this.signal);
      return undefined;
    }
    if (rule.fault !== undefined) {
      const { status, retryAfterSeconds, message } = rule.fault;
      this.sendError(new ProviderError({ status, retryAfterSeconds, message }));
      return undefined;
    }
    return rule;
  }

  /** Sends a complete JSON response. */
  sendJson(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
    if (this.response.headersSent || this.signal.aborted) return;
    const payload = JSON.stringify(body);
    this.record.status = status;
    this.response.writeHead(status, {
      ...this.#familyHeaders(),
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
    });
    this.response.end(payload);
  }

  /** Sends `error` in the provider family's shape and records its type. */
  sendError(error: ProviderError): void {
    const rendered = renderError(this.provider.family, error, this.record.id);
    this.record.errorType = rendered.type;
    this.sendJson(rendered.status, rendered.body, rendered.headers);
  }

  /** Starts a `text/event-stream` response with status 200. */
  openEventStream(): void {
    this.record.status = 200;
    this.response.writeHead(200, {
      ...this.#familyHeaders(),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
  }

  /**
   * Writes raw bytes of an open event stream and waits until they reach the socket. Resolves
   * `false` once the client is gone, so the caller stops producing.
   */
  write(chunk: string): Promise<boolean> {
    if (this.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.response.write(chunk, (error) => resolve(error === undefined || error === null));
    });
  }

  /** Ends an open event stream normally. */
  end(): void {
    if (!this.signal.aborted) this.response.end();
  }

  /** Counts output actually written to the client. */
  recordOutput(tokenCount: number, text: string): void {
    this.record.outputTokens += tokenCount;
    this.record.outputTextLength += text.length;
  }

  /** Records the usage the client was just sent. */
  recordUsage(usage: ReportedUsage): void {
    this.record.usage = usage;
  }

  /** Destroys the connection on purpose, as a failing network or provider would. */
  drop(): void {
    this.#ending ??= 'dropped';
    this.response.destroy();
  }

  /** Ends the call because the simulator is closing. */
  shutdown(): void {
    this.#ending ??= 'shutdown';
    this.response.destroy();
  }

  #familyHeaders(): Record<string, string> {
    const processingMs = String(Math.max(0, Math.round(this.elapsedMs)));
    const family: Record<string, string> =
      this.provider.family === 'openai'
        ? { 'openai-version': '2020-10-01', 'openai-processing-ms': processingMs }
        : {};
    return this.#rule?.setCookie === true ? { ...family, ...this.#accountHeaders() } : family;
  }

  /** What the real edge adds about the caller's account (rule `setCookie`). */
  #accountHeaders(): Record<string, string> {
    const cookie = `__cf_bm=sim-${this.record.id}; path=/; expires=Thu, 01 Jan 2099 00:00:00 GMT; domain=.${this.provider.id}.sim; HttpOnly; Secure; SameSite=None`;
    return this.provider.family === 'openai'
      ? {
          'set-cookie': cookie,
          'openai-organization': 'user-sim-organization',
          'openai-project': 'proj_sim',
          'x-ratelimit-limit-requests': '10000',
          'x-ratelimit-remaining-requests': '9999',
          'x-ratelimit-limit-tokens': '30000000',
          'x-ratelimit-remaining-tokens': '29999000',
        }
      : {
          'set-cookie': cookie,
          'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
          'anthropic-ratelimit-requests-limit': '4000',
          'anthropic-ratelimit-requests-remaining': '3999',
        };
  }

  #onClose(): void {
    if (this.record.outcome === 'pending') {
      this.record.outcome = this.response.writableFinished ? 'completed' : (this.#ending ?? 'aborted');
      this.record.finishedAt = this.options.clock();
    }
    this.#abortController.abort();
  }
}
