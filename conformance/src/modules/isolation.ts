import { defineModule } from '../model/module.js';
import { expect } from '../runner/check-failure.js';
import { callGateway, chatBody } from '../wire/gateway-call.js';

/** Grant isolation (Part 7 §7.11): one app's responses say nothing about another's. */
export const isolationModule = defineModule({
  name: 'isolation',
  plan: 'core',
  kind: 'http',
  summary: 'Responses for one grant never name another grant, client or the user',
  checks: {
    'no-foreign-grant': {
      requirements: ['SEC-13'],
      summary:
        'allowance, models, metering headers and errors of grant A contain no id of grant B, its client, or the user e-mail',
    },
  },
  async run({ check, app, clients, wallet, config }) {
    const mine = await app.connect(clients.app);
    const other = await app.connect(clients.second ?? clients.app);
    await check('no-foreign-grant', async () => {
      await callGateway(wallet.gateway, '/v1/chat/completions', other, { body: chatBody() });
      const responses = [
        await callGateway(wallet.gateway, '/v1/allowance', mine),
        await callGateway(wallet.gateway, '/v1/models', mine),
        await callGateway(wallet.gateway, '/v1/chat/completions', mine, { body: chatBody() }),
        await callGateway(wallet.gateway, '/v1/chat/completions', mine, {
          body: chatBody({ model: 'gpt-5' }),
        }),
      ];
      const forbidden = [
        other.grantId,
        config.user.email,
        ...(clients.second ? [clients.second.client_id] : []),
      ];
      for (const response of responses) {
        const seen = `${JSON.stringify([...response.headers.entries()])}${response.text}`;
        for (const value of forbidden)
          expect(!seen.includes(value), `a response for grant A contains ${value}`);
      }
    });
  },
});
