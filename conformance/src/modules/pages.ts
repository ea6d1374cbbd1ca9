import { defineModule } from '../model/module.js';
import { expect, skip } from '../runner/check-failure.js';
import { send } from '../wire/http.js';

/** Headers of the wallet's own pages (Part 7 §7.9), observed on the login page an authorization request leads to. */
export const pagesModule = defineModule({
  name: 'pages',
  plan: 'core',
  kind: 'http',
  summary: 'Content-Security-Policy and session cookie attributes of wallet pages',
  checks: {
    csp: {
      requirements: ['SEC-9'],
      summary: "the login page has a CSP with frame-ancestors 'none' and scripts without 'unsafe-inline'",
    },
    'session-cookie': {
      requirements: ['SEC-10'],
      kind: 'driver',
      summary:
        'every cookie the wallet set while the driver signed in and consented (the session cookie among them) is HttpOnly, SameSite Lax or Strict, and Secure unless loopback http',
    },
    cookies: {
      requirements: ['SEC-10'],
      summary:
        'cookies set on the way to the login page are HttpOnly, SameSite Lax or Strict, and Secure unless loopback http',
    },
  },
  async run({ check, app, clients, wallet, driver }) {
    const { parameters } = app.parameters(clients.app);
    let url = app.authorizationUrl(parameters);
    const cookies: string[] = [];
    let page = await send(url);
    for (
      let hop = 0;
      hop < 5 && page.location && page.location.origin === new URL(wallet.issuer).origin;
      hop += 1
    ) {
      cookies.push(...page.headers.getSetCookie());
      url = page.location.href;
      page = await send(url, { headers: { cookie: cookies.map((line) => line.split(';')[0]).join('; ') } });
    }
    cookies.push(...page.headers.getSetCookie());
    await check('csp', async () => {
      expect(page.status === 200, `the page at ${url} answered ${page.status}`);
      const policy = page.headers.get('content-security-policy') ?? '';
      expect(/frame-ancestors 'none'/.test(policy), `CSP without frame-ancestors 'none': ${policy}`);
      const scripts = /(?:script-src|default-src)([^;]*)/.exec(policy)?.[1] ?? '';
      expect(scripts !== '', 'CSP restricts no scripts');
      expect(!scripts.includes("'unsafe-inline'"), "scripts allow 'unsafe-inline'");
    });
    await check('session-cookie', async () => {
      if (!driver.setCookieLines) skip('the consent driver cannot show the cookies the wallet set');
      // By now the driver has signed in and approved consents: the session cookie is among these.
      const lines = await driver.setCookieLines();
      expect(lines.length > 0, 'the wallet set no cookie while the driver signed in and consented');
      const loopbackHttp = new URL(wallet.issuer).protocol === 'http:';
      // A deletion (empty value, or an expiry in the past) carries no secret.
      const set = lines.filter(
        (line) => !/^[^=]*=\s*(;|$)/.test(line) && !/max-age=0\b|expires=thu, 01 jan 1970/i.test(line),
      );
      expect(
        set.length > 0,
        'the wallet set no cookie with a value while the driver signed in and consented',
      );
      for (const line of set) {
        const name = line.split('=')[0];
        expect(/;\s*HttpOnly/i.test(line), `cookie ${name}, set after sign-in, is not HttpOnly`);
        expect(
          /;\s*SameSite=(Lax|Strict)/i.test(line),
          `cookie ${name}, set after sign-in, is not SameSite Lax or Strict`,
        );
        if (!loopbackHttp)
          expect(/;\s*Secure/i.test(line), `cookie ${name}, set after sign-in, is not Secure`);
      }
    });
    await check('cookies', async () => {
      expect(cookies.length > 0, 'no cookie was set on the way to the login page');
      const loopbackHttp = new URL(wallet.issuer).protocol === 'http:';
      for (const line of cookies) {
        const name = line.split('=')[0];
        expect(/;\s*HttpOnly/i.test(line), `cookie ${name} is not HttpOnly`);
        expect(/;\s*SameSite=(Lax|Strict)/i.test(line), `cookie ${name} is not SameSite Lax or Strict`);
        if (!loopbackHttp) expect(/;\s*Secure/i.test(line), `cookie ${name} is not Secure`);
      }
    });
  },
});
