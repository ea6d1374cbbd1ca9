import { defineModule } from '../model/module.js';
import { expectEqual } from '../runner/check-failure.js';
import { callGateway } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';

/** `GET /v1/models` (Part 5 §5.10). */
export const modelsEndpointModule = defineModule({
  name: 'models-endpoint',
  plan: 'core',
  kind: 'http',
  summary: 'The model list holds exactly the usable (provider, model) pairs',
  checks: {
    'usable-pairs': {
      requirements: ['GW-28'],
      summary: 'one entry per granted and served pair, bare ids when unambiguous, owned_by the provider id',
    },
  },
  async run({ check, app, clients, wallet }) {
    const connection = await app.connect(clients.app);
    await check('usable-pairs', async () => {
      const response = await callGateway(wallet.gateway, '/v1/models', connection);
      expectEqual(response.status, 200, 'status');
      expectEqual(member(response.json, 'object'), 'list', 'object');
      const data = (member(response.json, 'data') ?? []) as Record<string, unknown>[];
      const pairs = data.map((entry) => `${String(entry.owned_by)}:${String(entry.id)}`).sort();
      expectEqual(pairs, ['anthropic:claude-haiku-4-5', 'openai:gpt-4.1-mini'], 'owned_by:id of the entries');
      for (const entry of data) expectEqual(entry.object, 'model', `object of ${String(entry.id)}`);
    });
  },
});
