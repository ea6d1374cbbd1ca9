import { type HTMLElement, parse } from 'node-html-parser';

/** A page the scripted browser landed on. */
export interface Page {
  url: string;
  status: number;
  headers: Headers;
  html: string;
  document: HTMLElement;
}

/**
 * A minimal browser for tests that drive the wallet's pages over real HTTP the way a person
 * would: it keeps cookies per origin, follows redirects within `home` origins, reads forms from
 * the HTML and submits them with their hidden fields. It stops at a redirect that leaves the
 * wallet (an app's callback) and reports where it was going.
 */
export class ScriptedBrowser {
  readonly #cookies = new Map<string, Map<string, string>>();
  readonly #setCookieLines = new Map<string, string[]>();
  /** Where the last redirect chain ended outside the wallet, if it did. */
  leftTo: URL | undefined;

  constructor(private readonly home: string) {}

  async open(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Page> {
    let target = new URL(url);
    let method = init.method ?? 'GET';
    let body = init.body;
    this.leftTo = undefined;
    for (let hop = 0; hop < 20; hop += 1) {
      const response = await fetch(target, {
        method,
        redirect: 'manual',
        headers: {
          cookie: this.#cookieHeader(target),
          ...(body && { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        ...(body && { body: body.toString() }),
      });
      this.#remember(target, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, target);
        if (next.origin !== new URL(this.home).origin) {
          this.leftTo = next;
          return {
            url: next.href,
            status: response.status,
            headers: response.headers,
            html: '',
            document: parse(''),
          };
        }
        target = next;
        method = 'GET';
        body = undefined;
        continue;
      }
      const html = await response.text();
      return {
        url: target.href,
        status: response.status,
        headers: response.headers,
        html,
        document: parse(html),
      };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * Submits the form matching `selector` on `page`, with its current values (hidden inputs,
   * ticked boxes, text values) overridden by `fields`. A field set to `null` is left out (an
   * unticked box); an array gives a field several values.
   */
  async submit(
    page: Page,
    selector: string,
    fields: Record<string, string | string[] | null> = {},
    button?: { name: string; value: string },
  ): Promise<Page> {
    const form = page.document.querySelector(selector);
    if (!form) throw new Error(`no form ${selector} on ${page.url}:\n${page.html.slice(0, 2000)}`);
    const values = new URLSearchParams();
    const overridden = new Set(Object.keys(fields));
    for (const input of form.querySelectorAll('input, select')) {
      const name = input.getAttribute('name');
      if (!name || overridden.has(name) || input.hasAttribute('disabled')) continue;
      const type = input.getAttribute('type') ?? 'text';
      if ((type === 'checkbox' || type === 'radio') && !input.hasAttribute('checked')) continue;
      if (input.tagName === 'SELECT') {
        const chosen = input.querySelector('option[selected]') ?? input.querySelector('option');
        values.append(name, chosen?.getAttribute('value') ?? '');
        continue;
      }
      values.append(name, input.getAttribute('value') ?? '');
    }
    for (const [name, value] of Object.entries(fields)) {
      if (value === null) continue;
      for (const item of Array.isArray(value) ? value : [value]) values.append(name, item);
    }
    if (button) values.append(button.name, button.value);
    const action = new URL(form.getAttribute('action') ?? page.url, page.url);
    return this.open(action.href, { method: 'POST', body: values });
  }

  /** Every `Set-Cookie` line an origin sent this browser, in order, as sent. */
  setCookieLines(origin: string): readonly string[] {
    return this.#setCookieLines.get(new URL(origin).origin) ?? [];
  }

  /** The cookie value this browser holds for an origin. */
  cookie(origin: string, name: string): string | undefined {
    return this.#cookies.get(new URL(origin).origin)?.get(name);
  }

  #cookieHeader(url: URL): string {
    return [...(this.#cookies.get(url.origin) ?? new Map()).entries()]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }

  #remember(url: URL, setCookies: string[]): void {
    this.#setCookieLines.set(url.origin, [...(this.#setCookieLines.get(url.origin) ?? []), ...setCookies]);
    const jar = this.#cookies.get(url.origin) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = /expires=Thu, 01 Jan 1970/i.test(line) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    this.#cookies.set(url.origin, jar);
  }
}
