import { type Page, ScriptedBrowser } from '@allowance/testing';
import { CheckFailure } from '../runner/check-failure.js';
import type { Approval, ConsentDriver, DriverOutcome, SimulatedProvider } from './consent-driver.js';

/**
 * The consent driver for Allowance's own pages: form posts over HTTP, as a person would submit
 * them, which is much faster than a browser. It knows the field names of Allowance's consent
 * form and dashboard; that knowledge is the whole of the "profile". The ledger and key-holder
 * tokens are not on any page: with Allowance's operator interface configured they come from
 * there (conformance/OPERATOR.md).
 */
export class AllowanceDriver implements ConsentDriver {
  readonly profile = 'allowance';
  readonly canNarrow = true;
  readonly #browser: ScriptedBrowser;
  #page: Page | undefined;

  constructor(
    private readonly issuer: string,
    private readonly user: { email: string; password: string },
    restart?: () => Promise<void>,
    /** The operator interface created the account and stored its keys: only sign in. */
    private readonly accountPrepared = false,
  ) {
    this.#browser = new ScriptedBrowser(issuer);
    this.restart = restart;
  }

  readonly restart: ConsentDriver['restart'];

  async prepare(providers: readonly SimulatedProvider[]): Promise<void> {
    if (this.accountPrepared) {
      // A failed sign-up would count against the wallet's sign-in throttle: sign in directly.
      const page = await this.#browser.submit(
        await this.#browser.open(`${this.issuer}/signin`),
        'form:not([action="/signup"])',
        { ...this.user },
      );
      if (!page.document.querySelector('#add-key'))
        throw new Error(`the driver could not sign in as the prepared test user (${page.url})`);
      return;
    }
    const signIn = await this.#browser.open(`${this.issuer}/signin`);
    let page = await this.#browser.submit(signIn, 'form[action="/signup"]', { ...this.user });
    if (!page.document.querySelector('#add-key')) {
      // The account already exists: sign in instead.
      page = await this.#browser.submit(
        await this.#browser.open(`${this.issuer}/signin`),
        'form:not([action="/signup"])',
        {
          ...this.user,
        },
      );
    }
    for (const provider of providers) {
      page = await this.#browser.submit(page, '#add-key', {
        providerId: provider.id,
        apiKey: provider.apiKey,
        baseUrl: provider.baseURL,
      });
      if (page.status !== 200)
        throw new Error(`the driver could not store the ${provider.id} key (${page.status})`);
    }
  }

  async open(authorizationUrl: string): Promise<DriverOutcome> {
    return this.#outcome(await this.#browser.open(authorizationUrl));
  }

  async approve(approval?: Approval, options: { remember?: boolean } = {}): Promise<DriverOutcome> {
    const fields = approval ? approvalFields(approval) : {};
    if (options.remember) fields.remember = 'yes';
    return this.#submitConsent(fields, 'approve');
  }

  deny(): Promise<DriverOutcome> {
    return this.#submitConsent({}, 'deny');
  }

  approveWithoutCsrf(): Promise<DriverOutcome> {
    const page = this.#consentPage();
    for (const input of page.document.querySelectorAll('#consent input[type="hidden"]')) {
      if (/csrf/i.test(input.getAttribute('name') ?? '')) input.remove();
    }
    return this.#submitConsent({}, 'approve');
  }

  async confirm(url: string, decision: 'approve' | 'deny'): Promise<void> {
    const page = await this.#browser.open(url);
    const result = await this.#browser.submit(page, `#${decision}`);
    if (result.status >= 400) throw new Error(`deciding the confirmation answered ${result.status}`);
  }

  async device(
    verificationUri: string,
    decision: 'approve' | 'deny',
  ): Promise<{ pagesShown: string; outcome: DriverOutcome }> {
    const entry = await this.#browser.open(verificationUri);
    const confirm =
      entry.document.querySelector('form') && !entry.document.querySelector('form#op\\.deviceConfirmForm')
        ? await this.#browser.submit(entry, 'form')
        : entry;
    const consent = await this.#browser.submit(confirm, 'form#op\\.deviceConfirmForm');
    this.#page = consent;
    const outcome = await this.#submitConsent({}, decision);
    return {
      pagesShown: `${entry.html}\n${confirm === entry ? '' : confirm.html}\n${consent.html}`,
      outcome,
    };
  }

  revokeGrant(grantId: string): Promise<void> {
    // The dashboard asks once before revoking; the driver confirms in the same post.
    return this.#dashboard(`/grants/${grantId}/revoke`, { confirm: 'yes' });
  }

  setGrantSuspended(grantId: string, suspended: boolean): Promise<void> {
    return this.#dashboard(`/grants/${grantId}/${suspended ? 'suspend' : 'resume'}`);
  }

  setAddressAllowlist(grantId: string, blocks: readonly string[]): Promise<void> {
    return this.#dashboard(`/grants/${grantId}/addresses`, { addresses: blocks.join('\n') });
  }

  setGrantLimits(grantId: string, approval: Approval): Promise<void> {
    // The limits form carries the consent screen's field names; unticked boxes are left out.
    const fields = approvalFields(approval);
    return this.#dashboard(`/grants/${grantId}/limits`, fields);
  }

  async walletSpendThisMonth(): Promise<string> {
    const home = await this.#browser.open(`${this.issuer}/`);
    const spent = home.document.querySelector('#month-spent')?.text.trim();
    if (!spent) throw new Error('the home page shows no spend this month');
    return spent;
  }

  setWalletCap(amount: string | null): Promise<void> {
    return amount === null
      ? this.#dashboard('/monthly-cap/clear')
      : this.#dashboard('/monthly-cap', { amount });
  }

  async setPrice(
    provider: string,
    model: string,
    price: { input: string; output: string } | null,
  ): Promise<void> {
    if (price === null) {
      await this.#dashboard(
        '/settings/prices/delete',
        {},
        `tr[data-price="${provider}/${model}"] form`,
        '/settings',
      );
      return;
    }
    await this.#dashboard('/settings/prices', { provider, model, ...price }, '#price-form', '/settings');
  }

  async setTimeZone(timeZone: string): Promise<string> {
    const settings = await this.#browser.open(`${this.issuer}/settings`);
    const previous = settings.document.querySelector('#time-zone-input')?.getAttribute('value') ?? 'UTC';
    await this.#dashboard('/settings/time-zone', { time_zone: timeZone }, '#time-zone-form', '/settings');
    return previous;
  }

  async setProviderCredential(provider: SimulatedProvider, present: boolean): Promise<void> {
    if (!present) return this.#dashboard(`/keys/${provider.id}/delete`);
    return this.#dashboard('/keys', {
      providerId: provider.id,
      apiKey: provider.apiKey,
      baseUrl: provider.baseURL,
    });
  }

  /** Submits one of the dashboard's forms, as the user would, on the home page or `path`. */
  async #dashboard(
    action: string,
    fields: Record<string, string | string[] | null> = {},
    selector = `form[action="${action}"]`,
    path = '/',
  ): Promise<void> {
    const home = await this.#browser.open(`${this.issuer}${path}`);
    const page = await this.#browser.submit(home, selector, fields);
    if (page.status >= 400) throw new Error(`the dashboard form ${action} answered ${page.status}`);
  }

  async setCookieLines(): Promise<readonly string[]> {
    return this.#browser.setCookieLines(this.issuer);
  }

  async close(): Promise<void> {}

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #consentPage(): Page {
    if (!this.#page?.document.querySelector('#consent')) {
      throw new CheckFailure(`the driver expected a consent page, found ${this.#page?.url ?? 'nothing'}`);
    }
    return this.#page;
  }

  async #submitConsent(
    fields: Record<string, string | string[] | null>,
    decision: string,
  ): Promise<DriverOutcome> {
    const page = await this.#browser.submit(this.#consentPage(), '#consent', fields, {
      name: 'decision',
      value: decision,
    });
    return this.#outcome(page);
  }

  #outcome(page: Page): DriverOutcome {
    this.#page = page;
    if (this.#browser.leftTo) return { kind: 'redirect', location: this.#browser.leftTo };
    return { kind: 'page', status: page.status, html: page.html, url: page.url };
  }
}

/** Maps an `ai_allowance` object onto Allowance's consent form fields. */
function approvalFields(approval: Approval): Record<string, string | string[] | null> {
  const fields: Record<string, string | string[] | null> = {};
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  if (approval.providers) fields.provider = list(approval.providers);
  if (approval.models) fields.model = list(approval.models);
  if (approval.scopes) fields.scope = list(approval.scopes);
  const budget = approval.budget as { limits?: { period: string; amount: string }[] } | undefined;
  for (const limit of budget?.limits ?? []) fields[`budget.${limit.period}`] = limit.amount;
  const tokens = approval.tokens as
    | {
        max_input_per_request?: number;
        max_output_per_request?: number;
        limits?: { period: string; tokens: number }[];
      }
    | undefined;
  if (tokens?.max_input_per_request !== undefined)
    fields['tokens.max_input_per_request'] = String(tokens.max_input_per_request);
  if (tokens?.max_output_per_request !== undefined)
    fields['tokens.max_output_per_request'] = String(tokens.max_output_per_request);
  for (const limit of tokens?.limits ?? []) fields[`tokens.${limit.period}`] = String(limit.tokens);
  const rate = approval.rate as { requests_per_minute?: number } | undefined;
  if (rate?.requests_per_minute !== undefined) fields.rate = String(rate.requests_per_minute);
  const confirm = approval.confirm_above as { amount?: string } | undefined;
  if (confirm?.amount !== undefined) fields.confirm_above = confirm.amount;
  if (approval.retention === 'none') fields.retention = 'none';
  // Leaving the field out is how the form says "provider_default", even over a hidden "none".
  if (approval.retention === 'provider_default') fields.retention = null;
  if (typeof approval.expires_at === 'string') fields.expires_on = approval.expires_at.slice(0, 10);
  return fields;
}
