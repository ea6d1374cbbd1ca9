import type { ConfiguredProvider, SealedCredential } from './credentials.js';
import type { Store } from './database.js';
import { type ContextStamp, contextStamp } from './grant-context-freshness.js';
import { columns, type GrantRecord, type GrantRow, toRecord } from './grants.js';
import { preparedQuery } from './prepared-query.js';
import type { WalletsTable } from './schema.js';
import { type AnomalyColumns, type WalletSettings, walletFromRow } from './wallet-settings.js';

/** A grant with its account's wallet settings and provider keys, as the gateway needs them. */
export interface GrantWithWallet {
  grant: GrantRecord;
  /** Undefined when the account has no wallet row. */
  wallet: WalletSettings | undefined;
  providers: ConfiguredProvider[];
  /** The providers' keys, still sealed: open one with `openSealedCredential` at the forward step. */
  credentials: ReadonlyMap<string, SealedCredential>;
}

type WalletColumns = Pick<
  WalletsTable,
  'currency' | 'time_zone' | 'price_overrides' | 'exchange_rates' | 'monthly_cap_micros'
> & { wallet_limits_version: number | null } & AnomalyColumns;
type JoinedRow = GrantRow & { [Column in keyof WalletColumns]: WalletColumns[Column] | null } & {
  provider_id: string | null;
  api: 'openai' | 'anthropic' | null;
  base_url: string | null;
  sealed_key: string | null;
  private_network: number | null;
};

// The gateway's first read of every call (BENCHMARKS.md, "Profiling and fixes"): one statement and one read snapshot instead
// of four (the grant, the wallet, its providers, then the chosen provider's key), one row per key.
const grantWithWallet = preparedQuery<{ id: string }, JoinedRow>((database, slot) =>
  database
    .selectFrom('grants')
    .leftJoin('wallets', 'wallets.account_id', 'grants.account_id')
    .leftJoin('provider_credentials', 'provider_credentials.account_id', 'grants.account_id')
    .select(columns.map((column) => `grants.${column}` as const))
    .select([
      'wallets.currency',
      'wallets.time_zone',
      'wallets.price_overrides',
      'wallets.exchange_rates',
      'wallets.monthly_cap_micros',
      'wallets.limits_version as wallet_limits_version',
      'wallets.anomaly_burst_calls',
      'wallets.anomaly_burst_seconds',
      'wallets.anomaly_spend_micros',
      'wallets.anomaly_spend_seconds',
      'provider_credentials.provider_id',
      'provider_credentials.api',
      'provider_credentials.base_url',
      'provider_credentials.sealed_key',
      'provider_credentials.private_network',
    ])
    .where('grants.id', '=', slot('id'))
    .orderBy('provider_credentials.provider_id'),
);

/**
 * The grant with its wallet and provider keys, read together; undefined for an unknown grant.
 * The result is kept, frozen and shared, until anything it holds may have changed (see
 * grant-context-freshness.ts); a kept one costs one `pragma data_version` instead of the read.
 */
export async function findGrantWithWallet(
  store: Store,
  grantId: string,
): Promise<GrantWithWallet | undefined> {
  const stamp = await contextStamp(store.database);
  const kept = stamp && keptContexts.get(store.database)?.get(grantId);
  if (kept && stamp && sameStamp(kept.stamp, stamp)) return kept.context;
  const context = await readGrantWithWallet(store, grantId);
  if (context && stamp) keep(store, grantId, stamp, context);
  return context;
}

// A few KB each (the details, the wallet, the keys); a grant past the bound costs one read.
const KEPT_LIMIT = 2_000;
const keptContexts = new WeakMap<
  Store['database'],
  Map<string, { stamp: ContextStamp; context: GrantWithWallet }>
>();

function keep(store: Store, grantId: string, stamp: ContextStamp, context: GrantWithWallet): void {
  let kept = keptContexts.get(store.database);
  if (!kept) {
    kept = new Map();
    keptContexts.set(store.database, kept);
  }
  if (kept.size >= KEPT_LIMIT) kept.clear();
  kept.set(grantId, { stamp, context: deepFreeze(context) });
}

const sameStamp = (a: ContextStamp, b: ContextStamp) =>
  a.writes === b.writes && a.dataVersion === b.dataVersion;

/** Freezes plain objects and arrays all the way down; a Map's entries are frozen, not the Map. */
function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const entry of value.values()) deepFreeze(entry);
    return value;
  }
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const property of Object.values(value)) deepFreeze(property);
  }
  return value;
}

async function readGrantWithWallet(store: Store, grantId: string): Promise<GrantWithWallet | undefined> {
  const { rows } = await grantWithWallet(store.database, { id: grantId });
  const first = rows[0];
  if (!first) return undefined;
  const providers: ConfiguredProvider[] = [];
  const credentials = new Map<string, SealedCredential>();
  for (const row of rows) {
    if (row.provider_id === null || row.api === null || row.base_url === null || row.sealed_key === null)
      continue;
    const privateNetwork = Number(row.private_network) === 1;
    providers.push({ providerId: row.provider_id, api: row.api, baseUrl: row.base_url, privateNetwork });
    credentials.set(row.provider_id, {
      providerId: row.provider_id,
      sealed_key: row.sealed_key,
      base_url: row.base_url,
      api: row.api,
      private_network: privateNetwork,
    });
  }
  const { currency, time_zone, price_overrides, exchange_rates, monthly_cap_micros, wallet_limits_version } =
    first;
  const wallet =
    currency === null ||
    time_zone === null ||
    price_overrides === null ||
    exchange_rates === null ||
    wallet_limits_version === null
      ? undefined
      : walletFromRow({
          currency,
          time_zone,
          price_overrides,
          exchange_rates,
          monthly_cap_micros,
          limits_version: wallet_limits_version,
          anomaly_burst_calls: first.anomaly_burst_calls,
          anomaly_burst_seconds: first.anomaly_burst_seconds,
          anomaly_spend_micros: first.anomaly_spend_micros,
          anomaly_spend_seconds: first.anomaly_spend_seconds,
        });
  return { grant: toRecord(first), wallet, providers, credentials };
}
