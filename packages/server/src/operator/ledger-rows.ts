import { findGrant } from '@allowance/store';
import Router from '@koa/router';
import type { OperatorDependencies } from './operator-dependencies.js';
import { notFound } from './operator-errors.js';

/**
 * `GET /grants/{id}/ledger`: the grant's ledger rows (spec §6.6, [MTR-27]) with the spec's field
 * names, renamed only where Allowance's column means what the spec's field means.
 */
export function ledgerRows(dependencies: OperatorDependencies): Router {
  const router = new Router();
  router.get('/grants/:grantId/ledger', async (context) => {
    const { store } = dependencies;
    const accountId = await dependencies.testUser.accountId(store);
    const grant = await findGrant(store, context.params.grantId ?? '');
    if (!grant || grant.accountId !== accountId) throw notFound('No such grant of the test user.');
    const rows = await store.database
      .selectFrom('ledger')
      .selectAll()
      .where('grant_id', '=', grant.id)
      .where('account_id', '=', accountId)
      .orderBy('started_at')
      .orderBy('id')
      .execute();
    context.body = {
      rows: rows.map((row) => ({
        id: row.id,
        started_at: new Date(Number(row.started_at)).toISOString(),
        finished_at: new Date(Number(row.ended_at)).toISOString(),
        user: row.account_id,
        grant_id: row.grant_id,
        client_id: row.client_id,
        provider: row.provider_id,
        model: row.model,
        status: row.status,
        input_tokens: row.input_tokens,
        cached_input_tokens: row.cached_input_tokens,
        cache_write_tokens: row.cache_write_tokens,
        output_tokens: row.output_tokens,
        cost: row.cost_micros,
        latency_ms: row.latency_ms,
        endpoint: row.endpoint,
        stream: Number(row.stream) === 1,
        reserved: { micros: Number(row.reserved_micros), tokens: Number(row.reserved_tokens) },
        period_keys: JSON.parse(row.period_keys) as string[],
        first_byte_ms: row.first_byte_ms,
        upstream_request_id: row.upstream_request_id,
        client_address: row.client_address,
      })),
    };
  });
  return router;
}
