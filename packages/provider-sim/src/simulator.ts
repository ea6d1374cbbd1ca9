import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicApi } from './anthropic-api.js';
import { CallContext } from './call-context.js';
import { CallLog, type CallRecord, type SimulatedCall } from './call-log.js';
import { handleControlRequest } from './control-routes.js';
import { openAIApi } from './openai-api.js';
import {
  type ProviderConfig,
  type ProviderSimOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { handleProviderCall } from './provider-api.js';
import { RuleBook } from './rule-book.js';
import type { SimulationRule } from './rules.js';

/** A running simulator. Close it with `close()` or `await using`. */
export interface ProviderSim extends AsyncDisposable {
  /** Root URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The providers mounted, in configuration order. */
  readonly providers: readonly ProviderConfig[];
  /**
   * What an SDK takes as `baseURL` for provider `id`: `${url}/<id>/v1` for the OpenAI family,
   * `${url}/<id>` for Anthropic (whose SDK appends `/v1/messages` itself).
   *
   * @throws {Error} when no provider has that id.
   */
  baseURL(id: string): string;
  /** The API key provider `id` accepts. */
  apiKey(id: string): string;
  /** Snapshot of the call log, oldest first (at most `maxCalls` entries). */
  readonly calls: readonly SimulatedCall[];
  /** The rules in force. */
  readonly rules: readonly SimulationRule[];
  /**
   * Replaces every rule (and resets `times` counts).
   *
   * @throws {ConfigurationError} when a rule is invalid; the old rules then stay in force.
   */
  setRules(rules: readonly SimulationRule[]): void;
  /** Forgets the call log. */
  clearCalls(): void;
  /** Resolves once no provider call is in flight (all completed, dropped or aborted). */
  idle(): Promise<void>;
  /** Stops listening, ends every call in flight (logged as `shutdown`) and frees every socket and timer. */
  close(): Promise<void>;
}

/**
 * Starts the provider simulator.
 *
 * @example
 * ```ts
 * await using sim = await startProviderSim({ rules: [{ provider: 'openai', latencyMs: 20 }] });
 * const openai = new OpenAI({ apiKey: sim.apiKey('openai'), baseURL: sim.baseURL('openai') });
 * const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages });
 * ```
 * @throws {ConfigurationError} for an invalid option, before anything listens.
 */
export async function startProviderSim(options: ProviderSimOptions = {}): Promise<ProviderSim> {
  const simulator = new Simulator(resolveOptions(options));
  await simulator.listen();
  return simulator;
}

class Simulator implements ProviderSim {
  readonly #options: ResolvedOptions;
  readonly #server: Server;
  readonly #rules: RuleBook;
  readonly #calls: CallLog;
  readonly #providers: ReadonlyMap<string, ProviderConfig>;
  readonly #inFlight = new Map<CallContext, Promise<unknown>>();
  #idleWaiters: (() => void)[] = [];
  #url = '';
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#rules = new RuleBook(options.rules);
    this.#calls = new CallLog(options.maxCalls);
    this.#providers = new Map(options.providers.map((provider) => [provider.id, provider]));
    this.#server = createServer({ noDelay: true }, (request, response) => this.#route(request, response));
  }

  get url(): string {
    return this.#url;
  }

  get providers(): readonly ProviderConfig[] {
    return this.#options.providers;
  }

  get calls(): readonly SimulatedCall[] {
    return this.#calls.snapshot();
  }

  get rules(): readonly SimulationRule[] {
    return this.#rules.rules;
  }

  baseURL(id: string): string {
    const provider = this.#provider(id);
    return provider.family === 'openai' ? `${this.#url}/${id}/v1` : `${this.#url}/${id}`;
  }

  apiKey(id: string): string {
    return this.#provider(id).apiKey;
  }

  setRules(rules: readonly SimulationRule[]): void {
    this.#rules.replace(rules);
  }

  clearCalls(): void {
    this.#calls.clear();
  }

  idle(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.#server.address() as AddressInfo;
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    this.#url = `http://${host}:${port}`;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutDown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const context of this.#inFlight.keys()) context.shutdown();
    this.#server.closeAllConnections();
    await Promise.allSettled(this.#inFlight.values());
    await closed;
  }

  #provider(id: string): ProviderConfig {
    const provider = this.#providers.get(id);
    if (provider === undefined) throw new Error(`No simulated provider "${id}"`);
    return provider;
  }

  #route(request: IncomingMessage, response: ServerResponse): void {
    if (this.#closing !== undefined) {
      response.destroy();
      return;
    }
    let pathname: string;
    try {
      pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    } catch {
      response.writeHead(400).end();
      return;
    }
    const [, mount = '', rest = '/'] = /^\/([^/]*)(\/.*)?$/.exec(pathname) ?? [];
    if (mount === '_sim') {
      void handleControlRequest(request, response, rest, {
        rules: this.#rules,
        calls: this.#calls,
        maxBodyBytes: this.#options.maxBodyBytes,
      });
      return;
    }
    const provider = this.#providers.get(mount);
    if (provider === undefined) {
      const body = JSON.stringify({ error: { message: `No simulated provider is mounted at /${mount}` } });
      response.writeHead(404, { 'content-type': 'application/json' }).end(body);
      return;
    }
    this.#startCall(request, response, provider, rest);
  }

  #startCall(
    request: IncomingMessage,
    response: ServerResponse,
    provider: ProviderConfig,
    path: string,
  ): void {
    const record: CallRecord = {
      id: this.#options.createId('req_'),
      responseId: null,
      provider: provider.id,
      family: provider.family,
      method: request.method ?? 'GET',
      path,
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(', ') : String(value ?? ''),
        ]),
      ),
      model: null,
      stream: false,
      store: null,
      status: null,
      errorType: null,
      usage: null,
      outputTokens: 0,
      outputTextLength: 0,
      outcome: 'pending',
      startedAt: this.#options.clock(),
      finishedAt: null,
    };
    this.#calls.add(record);
    const context = new CallContext(
      { record, provider, request, response, options: this.#options },
      this.#rules,
    );
    const api = provider.family === 'openai' ? openAIApi : anthropicApi;
    const work = Promise.all([handleProviderCall(context, api, path), context.settled]);
    this.#inFlight.set(context, work);
    void work.finally(() => {
      this.#inFlight.delete(context);
      if (this.#inFlight.size > 0) return;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    });
  }
}
