import { registerSecret } from '../runner/mask-secrets.js';
import { type HttpResponse, member, send } from '../wire/http.js';
import type { Approval, LedgerRow, SimulatedProvider } from './consent-driver.js';

/**
 * The suite's client for a wallet's test-mode operator interface (conformance/OPERATOR.md): the
 * driver operations of spec 8.2 that only the wallet's owner, or its database, could otherwise
 * do, as JSON over HTTP. Every exchange goes through {@link send}, so it is the evidence of the
 * check that made it; the operator token is masked there like every other credential.
 *
 * @example
 * const operator = new OperatorClient('http://127.0.0.1:9400', process.env.OPERATOR_TOKEN ?? '');
 * await operator.prepare(user, providers);
 * await operator.stageApproval('conformance-app', { budget: { limits: [{ period: 'month', amount: '1.00' }] } });
 */
export class OperatorClient {
  readonly #url: string;
  readonly #token: string;

  constructor(url: string, token: string) {
    this.#url = url.replace(/\/+$/, '');
    this.#token = token;
    registerSecret(token);
  }

  /** Creates the test user if absent and stores each simulated provider's credential. */
  async prepare(
    user: { email: string; password: string },
    providers: readonly SimulatedProvider[],
  ): Promise<void> {
    await this.#call('prepare', 'POST', '/test-user', {
      email: user.email,
      password: user.password,
      providers,
    });
  }

  /** The test user's next approval of a consent for `clientId` grants `approval` instead of the request. */
  async stageApproval(clientId: string, approval: Approval): Promise<void> {
    await this.#call('stageApproval', 'PUT', '/next-approval', { client_id: clientId, approval });
  }

  async revokeGrant(grantId: string): Promise<void> {
    await this.#call('revokeGrant', 'POST', `/grants/${encodeURIComponent(grantId)}/revoke`);
  }

  async setGrantSuspended(grantId: string, suspended: boolean): Promise<void> {
    const action = suspended ? 'suspend' : 'resume';
    await this.#call('setGrantSuspended', 'POST', `/grants/${encodeURIComponent(grantId)}/${action}`);
  }

  /** Replaces a grant's allowance with a narrower one, as the dashboard's limits form does. */
  async setGrantLimits(grantId: string, approval: Approval): Promise<void> {
    await this.#call('setGrantLimits', 'PUT', `/grants/${encodeURIComponent(grantId)}/limits`, { approval });
  }

  /** Sets a grant's IP allowlist (CIDR blocks; empty removes it). */
  async setAddressAllowlist(grantId: string, blocks: readonly string[]): Promise<void> {
    await this.#call('setAddressAllowlist', 'PUT', `/grants/${encodeURIComponent(grantId)}/addresses`, {
      blocks,
    });
  }

  /** Approves or denies the confirmation at `url` (the one the gateway returned). */
  async confirm(url: string, decision: 'approve' | 'deny'): Promise<void> {
    await this.#call('confirm', 'POST', '/confirmations', { url, decision });
  }

  /** Sets the wallet-wide cap per month; `null` removes it. */
  async setWalletCap(amount: string | null): Promise<void> {
    await this.#call('setWalletCap', 'PUT', '/wallet/cap', { amount });
  }

  /** What every app of the test user's wallet spent this calendar month, as a money string. */
  async walletSpendThisMonth(): Promise<string> {
    const response = await this.#call('walletSpendThisMonth', 'GET', '/wallet/spend');
    const month = member(response.json, 'month');
    if (typeof month !== 'string')
      throw new Error('operator walletSpendThisMonth answered no "month" string');
    return month;
  }

  /** Sets the user's price for one model (wallet currency per million tokens); `null` removes it. */
  async setPrice(
    provider: string,
    model: string,
    price: { input: string; output: string } | null,
  ): Promise<void> {
    const path = `/prices/${encodeURIComponent(provider)}/${encodeURIComponent(model)}`;
    if (price === null) await this.#call('setPrice', 'DELETE', path);
    else await this.#call('setPrice', 'PUT', path, { input: price.input, output: price.output });
  }

  /** Sets the wallet's time zone and returns the previous one. */
  async setTimeZone(timeZone: string): Promise<string> {
    const response = await this.#call('setTimeZone', 'PUT', '/wallet/time-zone', { time_zone: timeZone });
    const previous = member(response.json, 'previous');
    if (typeof previous !== 'string') throw new Error('operator setTimeZone answered no "previous" string');
    return previous;
  }

  /** Deletes the test user's credential for a provider, or stores it again. */
  async setProviderCredential(provider: SimulatedProvider, present: boolean): Promise<void> {
    const path = `/credentials/${encodeURIComponent(provider.id)}`;
    if (!present) await this.#call('setProviderCredential', 'DELETE', path);
    else
      await this.#call('setProviderCredential', 'PUT', path, {
        baseURL: provider.baseURL,
        apiKey: provider.apiKey,
      });
  }

  /** The grant's ledger rows, with spec §6.6 field names. */
  async ledger(grantId: string): Promise<readonly LedgerRow[]> {
    const response = await this.#call('ledger', 'GET', `/grants/${encodeURIComponent(grantId)}/ledger`);
    const rows = member(response.json, 'rows');
    if (!Array.isArray(rows)) throw new Error('operator ledger answered no "rows" array');
    return rows as LedgerRow[];
  }

  /** Signs `claims` with the wallet's current access-token key; `header` overrides the defaults. */
  async signAccessToken(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
    // A header member the check leaves undefined is one it wants gone: JSON says that with null.
    const wire = Object.fromEntries(Object.entries(header).map(([name, value]) => [name, value ?? null]));
    const response = await this.#call('signAccessToken', 'POST', '/access-tokens', { header: wire, claims });
    const token = member(response.json, 'access_token');
    if (typeof token !== 'string') throw new Error('operator signAccessToken answered no "access_token"');
    return token;
  }

  async #call(operation: string, method: string, path: string, json?: unknown): Promise<HttpResponse> {
    const response = await send(`${this.#url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}` },
      ...(json !== undefined && { json }),
    });
    if (response.status < 200 || response.status > 299) {
      const error = member(response.json, 'error');
      const description = member(response.json, 'error_description');
      throw new Error(
        `operator ${operation} (${method} ${path}) answered ${response.status}${
          typeof error === 'string' ? ` ${error}` : ''
        }${typeof description === 'string' ? `: ${description}` : ''}`,
      );
    }
    return response;
  }
}
