import type { Generated } from 'kysely';

/**
 * The tables, as Kysely sees them. Times are integer milliseconds since the epoch, money is
 * integer micros, JSON is text: the same columns work on SQLite and PostgreSQL.
 */
export interface Database {
  accounts: AccountsTable;
  wallets: WalletsTable;
  provider_credentials: ProviderCredentialsTable;
  grants: GrantsTable;
  usage_counters: UsageCountersTable;
  reservations: ReservationsTable;
  ledger: LedgerTable;
  oidc_models: OidcModelsTable;
  signing_keys: SigningKeysTable;
  web_sessions: WebSessionsTable;
  confirmations: ConfirmationsTable;
  dpop_proofs: DpopProofsTable;
  rate_buckets: RateBucketsTable;
}

export interface AccountsTable {
  id: string;
  email: string;
  password_hash: string;
  role: 'owner' | 'member';
  created_at: number;
}

/** One wallet per account: its currency, time zone and price overrides. */
export interface WalletsTable {
  account_id: string;
  currency: string;
  time_zone: string;
  /** JSON price table merged over the shipped defaults. */
  price_overrides: string;
  /** JSON `{ "USD": "0.92" }`: rates into the wallet currency. */
  exchange_rates: string;
  /** Wallet-wide monthly cap across all apps, in micros; null for none. */
  monthly_cap_micros: number | null;
  /** Moves on every change of the cap or the time zone (spec MTR-34). */
  limits_version: Generated<number>;
  /** The owner's thresholds for suspending a grant (spec SEC-4); null for the wallet's default. */
  anomaly_burst_calls: number | null;
  anomaly_burst_seconds: number | null;
  anomaly_spend_micros: number | null;
  anomaly_spend_seconds: number | null;
  updated_at: number;
}

export interface ProviderCredentialsTable {
  id: string;
  account_id: string;
  provider_id: string;
  api: 'openai' | 'anthropic';
  base_url: string;
  label: string;
  /** AES-256-GCM sealed key: never the key itself. */
  sealed_key: string;
  key_last_four: string;
  created_at: number;
  updated_at: number;
  /** 1 when the owner chose that this key's provider is on their private network (spec SEC-8). */
  private_network: Generated<number>;
}

export interface GrantsTable {
  id: string;
  account_id: string;
  client_id: string;
  /** oidc-provider's Grant id, which its tokens carry, so revocation can reach them. */
  oidc_grant_id: string | null;
  /** JSON of the approved ai_allowance. */
  details: string;
  status: 'active' | 'suspended' | 'revoked';
  status_reason: string | null;
  require_dpop: number;
  /** JSON array of CIDR blocks; empty means any address. */
  ip_allowlist: string;
  remember: number;
  created_at: number;
  updated_at: number;
  expires_at: number;
  /** Moves on every change of the approved details: limits and expiry (spec MTR-34). */
  limits_version: Generated<number>;
  /** When the app first got a token; null while it never has, and then it is no connected app. */
  first_token_at: number | null;
}

/**
 * Spent and reserved amounts of one limit in one period. `subject` is a grant id, or
 * `wallet:<account id>` for the wallet-wide cap; `kind` is `money` (micros) or `tokens`.
 * Reservation is one conditional UPDATE on these rows, so no limit can be passed under any
 * concurrency, with any number of gateway processes.
 */
export interface UsageCountersTable {
  subject: string;
  kind: 'money' | 'tokens';
  period_key: string;
  cap: number;
  spent: number;
  reserved: number;
}

/** An amount held against counters while a call runs; settled or released when it ends. */
export interface ReservationsTable {
  id: string;
  grant_id: string;
  account_id: string;
  client_id: string;
  provider_id: string;
  model: string;
  /** JSON array of `{ subject, kind, periodKey, cap, amount }` held. */
  holds: string;
  money_micros: number;
  tokens: number;
  created_at: number;
  /** After this instant a crashed call's reservation is settled at the reserved amount. */
  deadline: number;
  /** The endpoint called, `chat.completions`, `embeddings` or `messages`. */
  endpoint: string;
  /** 1 for a streamed call. */
  stream: number;
  /** The app's address (spec SEC-3), for the ledger row. */
  client_address: string | null;
}

/** One row per metered call; never prompt or completion text. */
export interface LedgerTable {
  /** The call id, also sent to the app in a response header. */
  id: string;
  grant_id: string;
  account_id: string;
  client_id: string;
  provider_id: string;
  model: string;
  input_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  cost_micros: number;
  /** Spec 06-metering §6.6's statuses. */
  status: 'ok' | 'client_disconnect' | 'upstream_error' | 'upstream_timeout' | 'recovered';
  http_status: number;
  error_code: string | null;
  latency_ms: number;
  started_at: number;
  ended_at: number;
  endpoint: string;
  /** 1 for a streamed call. */
  stream: number;
  /** What was reserved for the call: micros and tokens. */
  reserved_micros: number;
  reserved_tokens: number;
  /** JSON list of the period keys the call was counted in. */
  period_keys: string;
  /** Time to the provider's first byte, when it answered at all. */
  first_byte_ms: number | null;
  /** The provider's request id, for disputes. */
  upstream_request_id: string | null;
  client_address: string | null;
}

/**
 * Every oidc-provider model (sessions, codes, refresh tokens, grants, clients …). Since migration
 * 0008 (spec SEC-14) no column holds a token, code or session id in clear: ids, uids and user
 * codes are keyed hashes and payloads are sealed, except a Grant's, kept under the wallet's grant
 * id with a JSON payload, since neither is a secret.
 */
export interface OidcModelsTable {
  model: string;
  /** HMAC-SHA-256 of the record's id under a key derived from the master key; a Grant's id as is. */
  id: string;
  /** The record sealed under the master key for this row; a Grant's as JSON. */
  payload: string;
  /** The grant id, which is not a secret, so that a grant's tokens can all be revoked. */
  grant_id: string | null;
  /** Keyed hash of a device code's user code. */
  user_code: string | null;
  /** Keyed hash of a session's uid. */
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  /** Sealed private JWK. */
  sealed_private_jwk: string;
  public_jwk: string;
  created_at: number;
  /** When it stopped signing; it stays in the JWKS until tokens it signed have expired. */
  retired_at: number | null;
}

export interface WebSessionsTable {
  /** SHA-256 of the cookie value: a stolen database does not yield live sessions. */
  id_hash: string;
  account_id: string;
  created_at: number;
  expires_at: number;
}

/**
 * A call held back for the user's approval (spec 06-metering §6.10). It moves `pending` →
 * `approved` or `denied` by the user, and `approved` → `used` by the one retried call it
 * authorizes; each move is one conditional UPDATE, so a confirmation is decided once and used once.
 */
export interface ConfirmationsTable {
  /** `cf_` and 128 random bits: the id in the URL and the `Allowance-Confirmation` header. */
  id: string;
  grant_id: string;
  account_id: string;
  client_id: string;
  provider_id: string;
  model: string;
  /** The call's worst-case cost in micros; a retry may cost at most this. */
  estimated_max_micros: number;
  status: 'pending' | 'approved' | 'denied' | 'used';
  created_at: number;
  /** Neither the decision nor the retry counts after this instant. */
  expires_at: number;
  decided_at: number | null;
  used_at: number | null;
  /** The call it authorized, once used. */
  call_id: string | null;
}

/** A DPoP proof some gateway replica accepted, by the hash of `<jkt>:<jti>`, until its window ends. */
export interface DpopProofsTable {
  key_hash: string;
  expires_at: number;
}

/** A grant's request-rate bucket. */
export interface RateBucketsTable {
  grant_id: string;
  /** Sixty-thousandths of a request, so that refilling is integer arithmetic. */
  units: number;
  updated_at: number;
}
