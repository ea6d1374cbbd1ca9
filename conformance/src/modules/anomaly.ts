import { defineModule } from '../model/module.js';
import { expect } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';

const BURST = 420;
const CONCURRENCY = 24;

/** Anomaly detection (Part 7 §7.6), advisory: a SHOULD, so a miss is a warning. */
export const anomalyModule = defineModule({
  name: 'anomaly',
  plan: 'core',
  kind: 'http',
  summary: 'A burst far above any expected rate suspends the grant',
  checks: {
    'burst-suspends': {
      requirements: ['SEC-4'],
      severity: 'warning',
      summary: `${BURST} calls within a few seconds on a grant without a rate get it suspended (403 grant_suspended)`,
    },
  },
  async run({ check, app, clients, wallet }) {
    await check('burst-suspends', async () => {
      const connection = await app.connect(clients.app, {
        details: { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] },
      });
      let sent = 0;
      let suspended = false;
      const worker = async () => {
        while (sent < BURST && !suspended) {
          sent += 1;
          const response = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
            body: chatBody({ max_tokens: 1 }),
          });
          if (errorCode(response) === 'grant_suspended') suspended = true;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      if (!suspended) {
        const after = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
          body: chatBody({ max_tokens: 1 }),
        });
        suspended = errorCode(after) === 'grant_suspended';
      }
      expect(suspended, `${sent} calls in a burst did not suspend the grant`);
    });
  },
});
