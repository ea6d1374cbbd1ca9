import { type Browser, chromium, type Page } from 'playwright-core';
import type { Approval, ConsentDriver, DriverOutcome, SimulatedProvider } from './consent-driver.js';

/** A login step: on a page whose URL matches `url`, fill fields and click. */
export interface BrowserStep {
  url?: string | undefined;
  fill?: Record<string, string> | undefined;
  click?: string | undefined;
}

/** Options of the generic browser driver, from the `browser-script` profile of the config. */
export interface BrowserScriptOptions {
  executablePath: string;
  login: readonly BrowserStep[];
  consentPage: string;
  approve: string;
  deny: string;
  remember?: string | undefined;
  device?: readonly BrowserStep[] | undefined;
  user: { email: string; password: string };
  /** Redirect URIs of the suite's clients: navigation to them is the end of a flow. */
  redirectOrigins: readonly string[];
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The consent driver for any implementation: headless Chromium driven by URL-matched selector
 * steps. It approves as shown (ticking "remember" when asked) or denies; it cannot fill in a
 * different approval itself, so narrowing needs the operator interface (which stages it) or
 * skips. The operator prepares the test user and its provider credentials beforehand.
 */
export class BrowserScriptDriver implements ConsentDriver {
  readonly profile = 'browser-script';
  readonly canNarrow = false;
  #browser: Browser | undefined;
  #page: Page | undefined;
  #redirect: URL | undefined;
  #redirected: (() => void) | undefined;
  readonly #setCookies: string[] = [];

  constructor(private readonly options: BrowserScriptOptions) {
    this.device = options.device ? (uri, decision) => this.#device(uri, decision) : undefined;
  }

  async prepare(_providers: readonly SimulatedProvider[]): Promise<void> {
    this.#browser = await chromium.launch({ executablePath: this.options.executablePath, args: ARGS });
    const context = await this.#browser.newContext();
    this.#page = await context.newPage();
    // The app's callback is the result of the flow; Chromium follows redirects inside its network
    // stack, out of reach of request routing, so the request event is where the URL is seen.
    // Set-Cookie lines as the wallet sent them, for the session cookie's attributes ([SEC-10]).
    const walletOrigin = (url: string) => !this.options.redirectOrigins.includes(new URL(url).origin);
    context.on('response', (response) => {
      if (!walletOrigin(response.url())) return;
      void response
        .headersArray()
        .then((headers) => {
          for (const header of headers)
            if (header.name.toLowerCase() === 'set-cookie') this.#setCookies.push(header.value);
        })
        .catch(() => undefined);
    });
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (!this.options.redirectOrigins.includes(url.origin)) return;
      this.#redirect = url;
      this.#redirected?.();
    });
  }

  async open(authorizationUrl: string): Promise<DriverOutcome> {
    const page = this.#requirePage();
    this.#redirect = undefined;
    const response = await page.goto(authorizationUrl).catch(() => null);
    await this.#runSteps(this.options.login);
    return this.#outcome(response?.status() ?? 0);
  }

  approve(_approval?: Approval, options: { remember?: boolean } = {}): Promise<DriverOutcome> {
    return this.#press(this.options.approve, options.remember ? this.options.remember : undefined);
  }

  /**
   * Enters a device flow at its `verification_uri_complete`: the device steps, then the login
   * steps, until the consent page shows, and decides it (spec 8.2 `device`).
   */
  readonly device: ConsentDriver['device'];

  async #device(verificationUri: string, decision: 'approve' | 'deny') {
    const page = this.#requirePage();
    this.#redirect = undefined;
    await page.goto(verificationUri).catch(() => null);
    const shown: string[] = [await this.#whenSettled(() => page.content())];
    await this.#runSteps([...(this.options.device ?? []), ...this.options.login], shown);
    shown.push(await this.#whenSettled(() => page.content()));
    const outcome = await (decision === 'approve' ? this.approve() : this.deny());
    return { pagesShown: shown.join('\n'), outcome };
  }

  /** Runs steps whose URL matches until the consent page shows or the flow left for the app. */
  async #runSteps(steps: readonly BrowserStep[], shown?: string[]): Promise<void> {
    const page = this.#requirePage();
    for (const step of steps) {
      if (this.#redirect || (await this.#whenSettled(() => page.$(this.options.consentPage)))) break;
      if (step.url && !new RegExp(step.url).test(page.url())) continue;
      for (const [selector, value] of Object.entries(step.fill ?? {})) {
        await page.fill(
          selector,
          value.replace('{email}', this.options.user.email).replace('{password}', this.options.user.password),
        );
      }
      // Wait for the navigation the click starts, not for the load state of the page it leaves.
      if (step.click) {
        await this.#clickAndWait(step.click);
        shown?.push(await this.#whenSettled(() => page.content()));
      }
    }
  }

  deny(): Promise<DriverOutcome> {
    return this.#press(this.options.deny);
  }

  async setCookieLines(): Promise<readonly string[]> {
    return [...this.#setCookies];
  }

  async close(): Promise<void> {
    await this.#browser?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #press(selector: string, tick?: string): Promise<DriverOutcome> {
    this.#redirect = undefined;
    if (tick) await this.#requirePage().check(tick);
    const response = await this.#clickAndWait(selector);
    return this.#outcome(response?.status() ?? 0);
  }

  /** Clicks and waits until the page it leads to has loaded, or the flow left for the app. */
  async #clickAndWait(selector: string) {
    const page = this.#requirePage();
    const redirected = new Promise<void>((resolve) => {
      this.#redirected = resolve;
    });
    const navigated = page.waitForNavigation({ waitUntil: 'load' }).catch(() => null);
    await page.click(selector);
    return Promise.race([navigated, redirected.then(() => null)]);
  }

  /**
   * Runs a page query, again after the page has loaded when a navigation (a redirect chain the
   * wallet is still answering) destroyed the document it ran in.
   */
  async #whenSettled<T>(query: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await query();
      } catch (error) {
        if (attempt >= 5 || !/context was destroyed|navigat/i.test(String(error))) throw error;
        await this.#requirePage()
          .waitForLoadState('load')
          .catch(() => undefined);
      }
    }
  }

  async #outcome(status: number): Promise<DriverOutcome> {
    if (this.#redirect) return this.#leave(this.#redirect);
    const page = this.#requirePage();
    await page.waitForLoadState('load');
    if (this.#redirect) return this.#leave(this.#redirect);
    return { kind: 'page', status, html: await this.#whenSettled(() => page.content()), url: page.url() };
  }

  /** Ends a flow at the app's callback; the callback itself never loads, so settle on a blank page. */
  async #leave(location: URL): Promise<DriverOutcome> {
    await this.#requirePage()
      .goto('about:blank')
      .catch(() => undefined);
    return { kind: 'redirect', location };
  }

  #requirePage(): Page {
    if (!this.#page) throw new Error('the browser driver was not prepared');
    return this.#page;
  }
}
