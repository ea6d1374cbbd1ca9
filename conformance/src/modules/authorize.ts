import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { type HttpResponse, send } from '../wire/http.js';
import type { SuiteApp, SuiteClient } from '../wire/suite-app.js';

/**
 * Sends an authorization request straight to the endpoint, with no session, and follows only
 * the wallet's own redirects; the answer must come before any login ([AUTH-10]).
 */
export async function requestWithoutSession(
  app: SuiteApp,
  client: SuiteClient,
  overrides: Record<string, string | string[] | null>,
  details?: unknown,
): Promise<{ response: HttpResponse; state: string }> {
  const { parameters, state } = app.parameters(client, { overrides, details });
  const response = await send(app.authorizationUrl(parameters));
  return { response, state };
}

/** Asserts an error redirect to the client with `error`. */
export function expectErrorRedirect(
  outcome: { response: HttpResponse },
  client: SuiteClient,
  error: string,
): void {
  const { response } = outcome;
  expect(
    response.status >= 300 && response.status < 400 && response.location,
    `expected a redirect to the app, got ${response.status}`,
  );
  const location = response.location;
  expect(
    location.href.startsWith(client.redirect_uri),
    `redirected to ${location.origin}${location.pathname}, not the app`,
  );
  // A wallet that treats response_type=token as an implicit request answers in the fragment
  // (RFC 6749 §4.2.2.1); the error still reaches the app, so both channels are accepted.
  const fragment = new URLSearchParams(location.hash.slice(1));
  expectEqual(location.searchParams.get('error') ?? fragment.get('error'), error, 'error');
}

/** Asserts an error page without any redirect ([AUTH-5], [AUTH-13]). */
export function expectErrorPage(response: HttpResponse): void {
  expectEqual(response.status, 400, 'status of the error page');
  expect(!response.headers.get('location'), 'the wallet redirected');
}

/** Validation order and errors of the authorization endpoint (Part 2 §2.4). */
export const authorizeModule = defineModule({
  name: 'authorize',
  plan: 'core',
  kind: 'http',
  summary: 'Authorization request validation before login',
  checks: {
    'unknown-client': {
      requirements: ['AUTH-5'],
      summary: 'an unknown client_id gets an error page (400), no redirect',
    },
    'unregistered-redirect': {
      requirements: ['AUTH-5'],
      summary: 'a redirect_uri not identical to a registered one (or absent) gets an error page, no redirect',
    },
    'error-redirect-iss-state': {
      requirements: ['AUTH-18'],
      summary: 'an error redirect carries iss equal to the issuer and the request state unchanged',
    },
    'response-type': {
      requirements: ['AUTH-6'],
      summary: 'response_type token is refused with unsupported_response_type',
    },
    'pkce-required': {
      requirements: ['AUTH-7'],
      summary:
        'no PKCE at all, missing code_challenge, missing method, or plain are refused with invalid_request, for the public and (when configured) the confidential client alike',
    },
    'resource-required': {
      requirements: ['AUTH-8'],
      summary: 'resource absent, repeated or not G is refused with invalid_target',
    },
    'details-required': {
      requirements: ['AUTH-9'],
      summary:
        'details absent, not an array, empty, two entries, or invalid are refused with invalid_authorization_details',
    },
    'before-login': {
      requirements: ['AUTH-10'],
      summary: 'each refusal above reaches the app directly, without a login page',
    },
  },
  async run({ check, app, clients, wallet }) {
    const client = clients.app;
    const error = (overrides: Record<string, string | string[] | null>, details?: unknown) =>
      requestWithoutSession(app, client, overrides, details);
    const redirects: boolean[] = [];
    let problems: string[] = [];
    // Every variant is tried, and all that fail are reported together.
    const expectRedirect = async (
      overrides: Record<string, string | string[] | null>,
      code: string,
      to: SuiteClient = client,
    ) => {
      const outcome = await requestWithoutSession(app, to, overrides);
      redirects.push(Boolean(outcome.response.location?.href.startsWith(to.redirect_uri)));
      try {
        expectErrorRedirect(outcome, to, code);
      } catch (failure) {
        const label = to === client ? '' : `${to.client_id} `;
        problems.push(`${label}${JSON.stringify(overrides).slice(0, 120)}: ${(failure as Error).message}`);
      }
    };
    const report = () => {
      const found = problems;
      problems = [];
      expect(found.length === 0, found.join('; '));
    };
    await check('unknown-client', async () => {
      expectErrorPage((await error({ client_id: `unknown-${Date.now()}` })).response);
    });
    await check('unregistered-redirect', async () => {
      expectErrorPage((await error({ redirect_uri: `${client.redirect_uri}/other` })).response);
      expectErrorPage((await error({ redirect_uri: `${client.redirect_uri}?x=1` })).response);
      expectErrorPage((await error({ redirect_uri: null })).response);
    });
    await check('error-redirect-iss-state', async () => {
      const outcome = await error({ resource: null });
      expect(outcome.response.location, `expected a redirect, got ${outcome.response.status}`);
      expectEqual(outcome.response.location.searchParams.get('iss'), wallet.issuer, 'iss');
      expectEqual(outcome.response.location.searchParams.get('state'), outcome.state, 'state');
    });
    await check('response-type', async () => {
      await expectRedirect({ response_type: 'token' }, 'unsupported_response_type');
      report();
    });
    await check('pkce-required', async () => {
      // [AUTH-7] binds every client (Part 7 §7.1: PKCE for every client): a secret is no substitute.
      const subjects = clients.confidential ? [client, clients.confidential] : [client];
      for (const subject of subjects) {
        // With neither parameter, as a client that does no PKCE sends it; with the method alone,
        // a request is malformed whatever the policy, so that case cannot show the policy.
        await expectRedirect(
          { code_challenge: null, code_challenge_method: null },
          'invalid_request',
          subject,
        );
        await expectRedirect({ code_challenge: null }, 'invalid_request', subject);
        await expectRedirect({ code_challenge_method: null }, 'invalid_request', subject);
        await expectRedirect({ code_challenge_method: 'plain' }, 'invalid_request', subject);
      }
      if (clients.confidential) {
        // Positive control: the confidential client's request with PKCE goes on towards sign-in.
        const accepted = await requestWithoutSession(app, clients.confidential, {});
        const location = accepted.response.location;
        const redirectedError =
          location?.href.startsWith(clients.confidential.redirect_uri) &&
          (location.searchParams.has('error') || new URLSearchParams(location.hash.slice(1)).has('error'));
        if (accepted.response.status >= 400 || redirectedError) {
          problems.push(
            `${clients.confidential.client_id} with PKCE was refused: ${accepted.response.status} ${location?.href ?? ''}`,
          );
        }
      }
      report();
    });
    await check('resource-required', async () => {
      await expectRedirect({ resource: null }, 'invalid_target');
      await expectRedirect({ resource: [wallet.gateway, wallet.gateway] }, 'invalid_target');
      await expectRedirect({ resource: `${wallet.gateway}/other` }, 'invalid_target');
      report();
    });
    await check('details-required', async () => {
      await expectRedirect({ authorization_details: null }, 'invalid_authorization_details');
      await expectRedirect(
        { authorization_details: '{"type":"ai_allowance"}' },
        'invalid_authorization_details',
      );
      await expectRedirect({ authorization_details: '[]' }, 'invalid_authorization_details');
      const one = { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] };
      await expectRedirect(
        { authorization_details: JSON.stringify([one, { type: 'other' }]) },
        'invalid_authorization_details',
      );
      await expectRedirect(
        { authorization_details: JSON.stringify([{ ...one, models: [] }]) },
        'invalid_authorization_details',
      );
      report();
    });
    await check('before-login', async () => {
      expect(redirects.length > 0, 'no refusal was observed');
      expect(redirects.every(Boolean), 'some refusal showed a wallet page instead of redirecting to the app');
    });
  },
});
