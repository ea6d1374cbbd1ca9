// A second gateway process, for confirmations.test.ts: tries to use every confirmation named on
// the command line against the shared file, and prints the ones it got. Run with:
// node <this> <path> <worker> <id>...
import { openStore, useConfirmation } from '@allowance/store';

const [path, worker, ...ids] = process.argv.slice(2);
const store = await openStore({ sqlite: path });
const used = [];
await Promise.all(
  ids.map(async (id) => {
    const ok = await useConfirmation(store, {
      id,
      callId: `call-${worker}-${id}`,
      grantId: 'grant-1',
      providerId: 'openai',
      model: 'gpt-4.1',
      estimatedMaxMicros: 500_000,
      now: 1_000,
    });
    if (ok) used.push(id);
  }),
);
await store.close();
process.stdout.write(JSON.stringify(used));
