import { defineModule } from '../model/module.js';
import { expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';

/** Provider and model resolution (Part 5 §5.5): refusals that must reach no provider. */
export const resolutionModule = defineModule({
  name: 'resolution',
  plan: 'core',
  kind: 'http',
  summary: 'Allowance-Provider, qualified models, API family, model allowlist',
  checks: {
    'no-credential': {
      requirements: ['GW-13', 'GW-10'],
      kind: 'driver',
      summary:
        'with the user credential for anthropic deleted, a call naming anthropic (Allowance-Provider, or anthropic/<model>) gets 503 provider_unavailable and one naming no provider gets 400 provider_unresolved, none reaching a provider; storing it again restores service',
    },
    'provider-header': {
      requirements: ['GW-8'],
      summary:
        'a malformed Allowance-Provider gets 400 invalid_request, an ungranted one 403 provider_not_allowed',
    },
    'qualified-model': {
      requirements: ['GW-9'],
      summary: 'a model prefixed with a listed but ungranted provider gets 403 provider_not_allowed',
    },
    'api-mismatch': {
      requirements: ['GW-11', 'GW-10'],
      summary: 'an anthropic provider on /v1/chat/completions gets 400 provider_api_mismatch',
    },
    'model-not-allowed': {
      requirements: ['GW-12'],
      summary:
        'a model outside the grant gets 403 model_not_allowed on both API families, and so does a model granted only as anthropic/<model> when called at openai, reaching no provider; at anthropic it is served',
    },
    'prefix-removed': {
      requirements: ['GW-16'],
      summary: 'a qualified model reaches the provider with its provider prefix removed',
    },
  },
  async run({ check, app, clients, wallet, sim, driver }) {
    const connection = await app.connect(clients.app);
    await check('no-credential', async () => {
      if (!driver.setProviderCredential) skip('the consent driver cannot delete provider credentials');
      const anthropic = {
        id: 'anthropic',
        baseURL: sim.baseURL('anthropic'),
        apiKey: sim.apiKey('anthropic'),
      };
      const message = (model: string, headers: Record<string, string> = {}) =>
        callGateway(wallet.gateway, '/v1/messages', connection, {
          body: { model, max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] },
          headers,
        });
      // Rule 1 of §5.5 (the header) and rule 2 (the qualified model) name the provider whatever
      // the wallet holds; rule 3 counts only providers with a stored credential ([GW-13]).
      const named = () => message('claude-haiku-4-5', { 'allowance-provider': 'anthropic' });
      expectEqual((await named()).status, 200, 'status with the credential');
      expectEqual((await message('claude-haiku-4-5')).status, 200, 'status by rule 3 with the credential');
      await driver.setProviderCredential(anthropic, false);
      let refused: Awaited<ReturnType<typeof message>>[];
      try {
        sim.clearCalls();
        refused = [
          await named(),
          await message('anthropic/claude-haiku-4-5'),
          await message('claude-haiku-4-5'),
        ];
        await sim.idle();
        expectEqual(sim.calls.length, 0, 'provider calls without a credential');
      } finally {
        await driver.setProviderCredential(anthropic, true);
      }
      expectEqual(
        refused.map((response) => [response.status, errorCode(response)]),
        [
          [503, 'provider_unavailable'],
          [503, 'provider_unavailable'],
          [400, 'provider_unresolved'],
        ],
        'without a credential: named by header, by qualified model, and by rule 3',
      );
      expectEqual((await named()).status, 200, 'status once the credential is back');
    });
    const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      callGateway(wallet.gateway, '/v1/chat/completions', connection, { body: chatBody(body), headers });
    await check('provider-header', async () => {
      const malformed = await chat({}, { 'allowance-provider': 'Not A Provider!' });
      expectEqual(
        [malformed.status, errorCode(malformed)],
        [400, 'invalid_request'],
        'malformed Allowance-Provider',
      );
      const ungranted = await chat({}, { 'allowance-provider': 'deepseek' });
      expectEqual(
        [ungranted.status, errorCode(ungranted)],
        [403, 'provider_not_allowed'],
        'ungranted Allowance-Provider',
      );
    });
    await check('qualified-model', async () => {
      const response = await chat({ model: 'deepseek/deepseek-chat' });
      expectEqual(
        [response.status, errorCode(response)],
        [403, 'provider_not_allowed'],
        'deepseek/deepseek-chat',
      );
    });
    await check('api-mismatch', async () => {
      const response = await chat({ model: 'claude-haiku-4-5' }, { 'allowance-provider': 'anthropic' });
      expectEqual(
        [response.status, errorCode(response)],
        [400, 'provider_api_mismatch'],
        'anthropic on chat completions',
      );
    });
    await check('model-not-allowed', async () => {
      sim.clearCalls();
      const openai = await chat({ model: 'gpt-4.1-nano' });
      expectEqual(
        [openai.status, errorCode(openai)],
        [403, 'model_not_allowed'],
        'gpt-4.1-nano on chat completions',
      );
      const anthropic = await callGateway(wallet.gateway, '/v1/messages', connection, {
        body: { model: 'claude-opus-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
      });
      expectEqual(
        [anthropic.status, errorCode(anthropic)],
        [403, 'model_not_allowed'],
        'claude-opus-4-5 on messages',
      );
      expectEqual(sim.calls.length, 0, 'provider calls');
      // A qualified entry p/m allows m at p only, not at every provider serving m ([GW-12]).
      const bound = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai', 'anthropic'],
          models: ['anthropic/claude-haiku-4-5'],
          budget: { currency: 'USD', limits: [{ amount: '5.00', period: 'day' }] },
        },
      });
      const elsewhere = await callGateway(wallet.gateway, '/v1/chat/completions', bound, {
        body: chatBody({ model: 'claude-haiku-4-5' }),
        headers: { 'allowance-provider': 'openai' },
      });
      expectEqual(
        [elsewhere.status, errorCode(elsewhere)],
        [403, 'model_not_allowed'],
        'claude-haiku-4-5 at openai, granted only as anthropic/claude-haiku-4-5',
      );
      await sim.idle();
      expectEqual(sim.calls.length, 0, 'provider calls for the model at the wrong provider');
      // Positive control: the same grant serves the model at the provider its entry names.
      const atAnthropic = await callGateway(wallet.gateway, '/v1/messages', bound, {
        body: { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
        headers: { 'allowance-provider': 'anthropic' },
      });
      expectEqual(
        atAnthropic.status,
        200,
        'status of claude-haiku-4-5 at anthropic, granted as anthropic/claude-haiku-4-5',
      );
      await sim.idle();
      expectEqual(
        sim.calls.map((call) => [call.provider, call.model]),
        [['anthropic', 'claude-haiku-4-5']],
        'provider calls for the model at its provider',
      );
    });
    await check('prefix-removed', async () => {
      sim.clearCalls();
      const response = await chat({ model: 'openai/gpt-4.1-mini' });
      expectEqual(response.status, 200, 'status');
      await sim.idle();
      expectEqual(
        sim.calls.map((call) => call.model),
        ['gpt-4.1-mini'],
        'models the provider received',
      );
    });
  },
});
