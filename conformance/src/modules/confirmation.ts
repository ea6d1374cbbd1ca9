import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { noteDerivation } from '../runner/derivation.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { type HttpResponse, member } from '../wire/http.js';
import { isCanonicalMoney } from '../wire/money.js';

const confirmationOf = (response: HttpResponse) =>
  (member(response.json, 'error', 'confirmation') ?? {}) as Record<string, unknown>;

/** A grant whose every call of 1000 output tokens is above its confirmation threshold. */
const details = {
  type: 'ai_allowance',
  providers: ['openai'],
  models: ['gpt-4.1-mini', 'gpt-4.1-nano'],
  budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
  confirm_above: { amount: '0.0001' },
};

/** Human confirmation above a cost (Part 6 §6.10). */
export const confirmationModule = defineModule({
  name: 'confirmation',
  plan: 'core',
  kind: 'driver',
  summary: 'Calls above confirm_above wait for the user; one approval allows exactly one call',
  checks: {
    required: {
      requirements: ['MTR-29'],
      summary:
        'a call above the threshold gets 403 confirmation_required with id, url on the issuer origin, expires_at within 15 min, canonical estimated_max_cost',
    },
    pending: {
      requirements: ['MTR-30'],
      summary: 'a retry naming a pending confirmation gets the same confirmation object',
    },
    denied: {
      requirements: ['MTR-31'],
      summary: 'a retry naming a denied confirmation gets 403 confirmation_denied',
    },
    'approved-once': {
      requirements: ['MTR-32', 'MTR-33'],
      summary:
        'an approved confirmation is refused (a new confirmation) for another model, a larger worst case and another grant, then lets exactly one call through; reusing it yields a new confirmation id',
    },
    'expired-unusable': {
      requirements: ['MTR-33'],
      summary:
        'an approved confirmation used after its expires_at is treated as absent: a new confirmation with another id (when the wallet’s confirmations live at most 30 s)',
    },
    'unknown-id': {
      requirements: ['MTR-33'],
      summary: 'an unknown confirmation id is treated as absent: a new confirmation with another id',
    },
  },
  async run({ check, app, clients, wallet, driver }) {
    const connection = await app.connect(clients.app, {
      details,
    });
    const call = (confirmation?: string, overrides: Record<string, unknown> = {}, token = connection) =>
      callGateway(wallet.gateway, '/v1/chat/completions', token, {
        body: chatBody({ max_tokens: 1000, ...overrides }),
        headers: confirmation ? { 'allowance-confirmation': confirmation } : {},
      });
    let first: Record<string, unknown> = {};
    await check('required', async () => {
      const response = await call();
      expectEqual([response.status, errorCode(response)], [403, 'confirmation_required'], 'status and code');
      first = confirmationOf(response);
      expect(typeof first.id === 'string' && first.id !== '', 'no confirmation id');
      expectEqual(
        new URL(String(first.url)).origin,
        new URL(wallet.issuer).origin,
        'origin of the confirmation url',
      );
      const expires = Date.parse(String(first.expires_at));
      expect(
        expires > Date.now() && expires <= Date.now() + 15 * 60_000 + 5_000,
        `expires_at ${String(first.expires_at)}`,
      );
      expect(
        isCanonicalMoney(first.estimated_max_cost),
        `estimated_max_cost ${String(first.estimated_max_cost)}`,
      );
    });
    await check('pending', async () => {
      const response = await call(String(first.id));
      expectEqual([response.status, errorCode(response)], [403, 'confirmation_required'], 'status and code');
      expectEqual(confirmationOf(response), first, 'confirmation object');
    });
    await check('unknown-id', async () => {
      const response = await call('cf_unknown_to_this_wallet');
      expectEqual(errorCode(response), 'confirmation_required', 'code');
      const id = confirmationOf(response).id;
      expect(typeof id === 'string' && id !== 'cf_unknown_to_this_wallet', 'the unknown id was echoed');
    });
    await check('denied', async () => {
      if (!driver.confirm) skip('the consent driver cannot decide confirmations');
      const other = confirmationOf(await call());
      await driver.confirm(String(other.url), 'deny');
      const response = await call(String(other.id));
      expectEqual([response.status, errorCode(response)], [403, 'confirmation_denied'], 'status and code');
    });
    await check('approved-once', async () => {
      if (!driver.confirm) skip('the consent driver cannot decide confirmations');
      await driver.confirm(String(first.url), 'approve');
      // An approval is for one grant, provider, model and cost at most: every other use is
      // treated as absent, and none of them consumes it.
      const sibling = await app.connect(clients.app, {
        details,
      });
      const misuses: [string, Promise<HttpResponse>][] = [
        ['another model', call(String(first.id), { model: 'gpt-4.1-nano' })],
        ['a larger worst case', call(String(first.id), { max_tokens: 2000 })],
        ['another grant', call(String(first.id), {}, sibling)],
      ];
      for (const [what, pending] of misuses) {
        const response = await pending;
        expectEqual(
          [response.status, errorCode(response)],
          [403, 'confirmation_required'],
          `the approved confirmation used for ${what}`,
        );
        expect(
          confirmationOf(response).id !== first.id,
          `the approved confirmation was accepted for ${what}`,
        );
      }
      const allowed = await call(String(first.id));
      expectEqual(allowed.status, 200, 'status of the confirmed call');
      const again = await call(String(first.id));
      expectEqual(errorCode(again), 'confirmation_required', 'code when reusing the consumed confirmation');
      expect(confirmationOf(again).id !== first.id, 'the consumed confirmation was offered again');
    });
    await check('expired-unusable', async () => {
      if (!driver.confirm) skip('the consent driver cannot decide confirmations');
      const offered = confirmationOf(await call());
      const expires = Date.parse(String(offered.expires_at));
      const lifetime = expires - Date.now();
      if (lifetime > 30_000)
        skip(
          `the wallet's confirmations live ${Math.round(lifetime / 1000)} s; the check waits at most 30 s`,
        );
      await driver.confirm(String(offered.url), 'approve');
      noteDerivation('wait', `until expires_at ${String(offered.expires_at)} + 1 s`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expires + 1_000 - Date.now())));
      const response = await call(String(offered.id));
      expectEqual(
        [response.status, errorCode(response)],
        [403, 'confirmation_required'],
        'the approved confirmation used after it expired',
      );
      expect(
        confirmationOf(response).id !== offered.id,
        'the expired confirmation was accepted or offered again',
      );
    });
  },
});
