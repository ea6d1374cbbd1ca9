// A second gateway process, for reservations.test.ts: reserves against the shared file and
// settles, then reports how many calls it got through. Run with: node <this> <path> <worker> <calls>
import { openStore, reserve, settle } from '@allowance/store';

const [path, worker, calls] = process.argv.slice(2);
const store = await openStore({ sqlite: path });
let granted = 0;
await Promise.all(
  Array.from({ length: Number(calls) }, async (_, index) => {
    const id = `w${worker}-${index}`;
    const outcome = await reserve(store, {
      id,
      grantId: 'grant-1',
      accountId: 'account-1',
      clientId: 'client-1',
      providerId: 'openai',
      model: 'm',
      holds: [{ subject: 'grant-1', kind: 'money', periodKey: 'day:x', cap: 1000, amount: 70 }],
      moneyMicros: 70,
      tokens: 0,
      now: 0,
      deadline: 1,
      endpoint: 'chat.completions',
      stream: false,
      clientAddress: null,
      limitsVersion: { grant: 0, wallet: 0 },
    });
    if (!outcome.ok) return;
    granted += 1;
    await settle(store, {
      reservationId: id,
      moneyMicros: 70,
      tokens: 0,
      ledger: {
        input_tokens: 0,
        cached_input_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: 0,
        status: 'ok',
        http_status: 200,
        error_code: null,
        latency_ms: 0,
        started_at: 0,
        ended_at: 0,
      },
    });
  }),
);
await store.close();
process.stdout.write(String(granted));
