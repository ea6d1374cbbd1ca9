import { sql } from 'kysely';
import type { Store } from './database.js';
import { preparedQuery } from './prepared-query.js';
import type { LedgerTable, ReservationsTable } from './schema.js';

/** An amount to hold against one limit in one period. */
export interface Hold {
  /** A grant id, or `wallet:<account id>` for the wallet-wide cap. */
  subject: string;
  kind: 'money' | 'tokens';
  periodKey: string;
  /** The limit as it stands now (a user may have lowered it). */
  cap: number;
  /** Micros for money, tokens for tokens: the call's worst case. */
  amount: number;
}

/** A call about to be forwarded, and what it may cost at most. */
export interface ReservationRequest {
  id: string;
  grantId: string;
  accountId: string;
  clientId: string;
  providerId: string;
  model: string;
  holds: readonly Hold[];
  /** Worst-case cost in micros (0 when unpriced). */
  moneyMicros: number;
  /** Worst-case tokens, input estimate plus output cap. */
  tokens: number;
  now: number;
  /** When a crash-orphaned reservation may be settled at its full amount. */
  deadline: number;
  /** For the ledger row (spec §6.6): the endpoint, whether streamed, the app's address. */
  endpoint: string;
  stream: boolean;
  clientAddress: string | null;
  /**
   * The limits versions of the grant and of its wallet that the holds were planned from: when
   * either moved since, a limit changed and the holds may be wrong, so nothing is held (MTR-34).
   */
  limitsVersion: { grant: number; wallet: number };
}

/** Why a reservation was refused. Nothing was held. */
export type ReservationRefusal =
  | { reason: 'grant_unknown' | 'grant_revoked' | 'grant_suspended' | 'grant_expired' }
  /** A limit changed after the call was planned: plan it again from the stored limits. */
  | { reason: 'limits_changed' }
  | { reason: 'limit_reached'; hold: Hold; spent: number; reserved: number };

class LimitReached extends Error {
  constructor(readonly refusal: ReservationRefusal) {
    super(refusal.reason);
  }
}

/**
 * Checks the grant is live and holds the call's worst case against every limit, in one write
 * transaction: an existing counter moves only through an upsert whose update carries
 * `WHERE spent + reserved + amount <= cap`, and a counter the hold creates is checked against its
 * cap before the commit, so spent + reserved never passes a cap, whatever runs at the same time
 * (spec MTR-18). The limits the holds were planned from must still be the stored ones (MTR-34):
 * a change of a limit commits either before this transaction, and then the versions differ, or
 * after it, and then it counts this reservation as open (MTR-35).
 * Either every hold is taken or none is.
 */
export async function reserve(
  store: Store,
  request: ReservationRequest,
): Promise<{ ok: true } | ({ ok: false } & ReservationRefusal)> {
  try {
    await store.writeTransaction(async (transaction) => {
      const grant = (await grantLiveness(transaction, { id: request.grantId })).rows[0];
      if (!grant) throw new LimitReached({ reason: 'grant_unknown' });
      if (grant.status === 'revoked') throw new LimitReached({ reason: 'grant_revoked' });
      if (grant.status === 'suspended') throw new LimitReached({ reason: 'grant_suspended' });
      if (Number(grant.expires_at) <= request.now) throw new LimitReached({ reason: 'grant_expired' });
      if (
        Number(grant.limits_version) !== request.limitsVersion.grant ||
        Number(grant.wallet_limits_version ?? 0) !== request.limitsVersion.wallet
      )
        throw new LimitReached({ reason: 'limits_changed' });

      for (const hold of request.holds) {
        const held = (await holdOnCounter(transaction, hold)).rows[0];
        // A counter created by this hold is checked here; the transaction rolls it back if over.
        if (!held || Number(held.spent) + Number(held.reserved) > Number(held.cap)) {
          const current = held ? undefined : (await readCounter(transaction, hold)).rows[0];
          throw new LimitReached({
            reason: 'limit_reached',
            hold,
            spent: Number(current?.spent ?? 0),
            reserved: Number(current?.reserved ?? 0),
          });
        }
      }

      await insertReservation(transaction, {
        id: request.id,
        grant_id: request.grantId,
        account_id: request.accountId,
        client_id: request.clientId,
        provider_id: request.providerId,
        model: request.model,
        holds: JSON.stringify(request.holds),
        money_micros: request.moneyMicros,
        tokens: request.tokens,
        created_at: request.now,
        deadline: request.deadline,
        endpoint: request.endpoint,
        stream: request.stream ? 1 : 0,
        client_address: request.clientAddress,
      });
    });
    return { ok: true };
  } catch (error) {
    if (error instanceof LimitReached) return { ok: false, ...error.refusal };
    throw error;
  }
}

/** What a call actually used, to replace its reservation. */
export interface SettlementRequest {
  reservationId: string;
  /** Actual cost in micros. */
  moneyMicros: number;
  /** Actual tokens, input plus output. */
  tokens: number;
  /** The row's own fields; the rest comes from the reservation. */
  ledger: Omit<
    LedgerTable,
    | 'id'
    | 'grant_id'
    | 'account_id'
    | 'client_id'
    | 'provider_id'
    | 'model'
    | 'cost_micros'
    | 'endpoint'
    | 'stream'
    | 'reserved_micros'
    | 'reserved_tokens'
    | 'period_keys'
    | 'client_address'
  >;
}

/** What was billed: never more than was reserved. */
export interface Settled {
  billedMicros: number;
  billedTokens: number;
  /** Each held counter as this settlement left it, in the order of the holds. */
  counters: SettledCounter[];
}

/** A counter as a settlement left it. */
export interface SettledCounter {
  subject: string;
  kind: 'money' | 'tokens';
  periodKey: string;
  cap: number;
  spent: number;
  reserved: number;
}

/**
 * Replaces a reservation with what the call used: releases the hold, adds the billed amount to
 * `spent`, deletes the reservation and writes the ledger row, in one transaction. Billing is
 * capped at the reserved amount, so settling can never break the invariant either.
 * Returns `undefined` when the reservation is already gone (settled, or recovered after a crash).
 */
export async function settle(store: Store, request: SettlementRequest): Promise<Settled | undefined> {
  return store.writeTransaction(async (transaction) => {
    // Taken and read in one statement (DELETE … RETURNING, SQLite 3.35 and PostgreSQL alike).
    const reservation = (await takeReservation(transaction, { id: request.reservationId })).rows[0];
    if (!reservation) return undefined;
    const billedMicros = Math.min(request.moneyMicros, Number(reservation.money_micros));
    const billedTokens = Math.min(request.tokens, Number(reservation.tokens));
    const counters: SettledCounter[] = [];
    const holds = JSON.parse(reservation.holds) as Hold[];
    for (const hold of holds) {
      const billed =
        hold.kind === 'money' ? Math.min(billedMicros, hold.amount) : Math.min(billedTokens, hold.amount);
      const { rows } = await releaseCounter(transaction, {
        subject: hold.subject,
        kind: hold.kind,
        periodKey: hold.periodKey,
        amount: hold.amount,
        billed,
      });
      // Read back in the same statement (RETURNING, SQLite 3.35 and PostgreSQL alike), so the
      // gateway's Allowance-Remaining needs no further read after the settlement.
      for (const row of rows) {
        counters.push({
          subject: hold.subject,
          kind: hold.kind,
          periodKey: hold.periodKey,
          cap: Number(row.cap),
          spent: Number(row.spent),
          reserved: Number(row.reserved),
        });
      }
    }
    // Field by field rather than `{ ...request.ledger, … }`: on this path V8 made new hidden
    // classes for the spread object on every call, about 6.5 KB of old-space garbage a call.
    const { ledger } = request;
    await insertLedgerRow(transaction, {
      input_tokens: ledger.input_tokens,
      cached_input_tokens: ledger.cached_input_tokens,
      cache_write_tokens: ledger.cache_write_tokens,
      output_tokens: ledger.output_tokens,
      status: ledger.status,
      http_status: ledger.http_status,
      error_code: ledger.error_code,
      latency_ms: ledger.latency_ms,
      started_at: ledger.started_at,
      ended_at: ledger.ended_at,
      first_byte_ms: ledger.first_byte_ms,
      upstream_request_id: ledger.upstream_request_id,
      id: reservation.id,
      grant_id: reservation.grant_id,
      account_id: reservation.account_id,
      client_id: reservation.client_id,
      provider_id: reservation.provider_id,
      model: reservation.model,
      cost_micros: billedMicros,
      endpoint: reservation.endpoint,
      stream: Number(reservation.stream),
      reserved_micros: Number(reservation.money_micros),
      reserved_tokens: Number(reservation.tokens),
      period_keys: JSON.stringify([...new Set(holds.map((hold) => hold.periodKey))]),
      client_address: reservation.client_address,
    });
    return { billedMicros, billedTokens, counters };
  });
}

// The statements of a reservation and its settlement, built once (BENCHMARKS.md, "Profiling and fixes"; see prepared-query.ts).
type CounterKey = { subject: string; kind: 'money' | 'tokens'; periodKey: string };

const grantLiveness = preparedQuery<
  { id: string },
  { status: string; expires_at: number; limits_version: number; wallet_limits_version: number | null }
>((database, slot) =>
  database
    .selectFrom('grants')
    .leftJoin('wallets', 'wallets.account_id', 'grants.account_id')
    .select([
      'grants.status',
      'grants.expires_at',
      'grants.limits_version',
      'wallets.limits_version as wallet_limits_version',
    ])
    .where('grants.id', '=', slot('id')),
);

// Creates the counter holding the amount, or adds the amount to it only while
// spent + reserved + amount <= cap, and writes the cap as it stands now; returns no row when the
// existing counter has no room. Once per limit per call, so one statement rather than two.
const holdOnCounter = preparedQuery<
  CounterKey & { cap: number; amount: number },
  { cap: number; spent: number; reserved: number }
>((database, slot) =>
  database
    .insertInto('usage_counters')
    .values({
      subject: slot('subject'),
      kind: slot('kind'),
      period_key: slot('periodKey'),
      cap: slot('cap'),
      spent: sql<number>`0`,
      reserved: slot('amount'),
    })
    .onConflict((conflict) =>
      conflict
        .columns(['subject', 'kind', 'period_key'])
        .doUpdateSet({
          cap: (values) => values.ref('excluded.cap'),
          reserved: sql<number>`usage_counters.reserved + excluded.reserved`,
        })
        .where(
          sql<boolean>`usage_counters.spent + usage_counters.reserved + excluded.reserved <= excluded.cap`,
        ),
    )
    .returning(['cap', 'spent', 'reserved']),
);

const readCounter = preparedQuery<CounterKey, { spent: number; reserved: number }>((database, slot) =>
  database
    .selectFrom('usage_counters')
    .select(['spent', 'reserved'])
    .where('subject', '=', slot('subject'))
    .where('kind', '=', slot('kind'))
    .where('period_key', '=', slot('periodKey')),
);

const insertReservation = preparedQuery<ReservationsTable, never>((database, slot) =>
  database.insertInto('reservations').values({
    id: slot('id'),
    grant_id: slot('grant_id'),
    account_id: slot('account_id'),
    client_id: slot('client_id'),
    provider_id: slot('provider_id'),
    model: slot('model'),
    holds: slot('holds'),
    money_micros: slot('money_micros'),
    tokens: slot('tokens'),
    created_at: slot('created_at'),
    deadline: slot('deadline'),
    endpoint: slot('endpoint'),
    stream: slot('stream'),
    client_address: slot('client_address'),
  }),
);

const takeReservation = preparedQuery<{ id: string }, ReservationsTable>((database, slot) =>
  database.deleteFrom('reservations').where('id', '=', slot('id')).returningAll(),
);

const releaseCounter = preparedQuery<
  CounterKey & { amount: number; billed: number },
  { cap: number; spent: number; reserved: number }
>((database, slot) =>
  database
    .updateTable('usage_counters')
    .set({
      reserved: sql<number>`reserved - ${slot('amount')}`,
      spent: sql<number>`spent + ${slot('billed')}`,
    })
    .where('subject', '=', slot('subject'))
    .where('kind', '=', slot('kind'))
    .where('period_key', '=', slot('periodKey'))
    .returning(['cap', 'spent', 'reserved']),
);

const insertLedgerRow = preparedQuery<LedgerTable, never>((database, slot) =>
  database.insertInto('ledger').values({
    id: slot('id'),
    grant_id: slot('grant_id'),
    account_id: slot('account_id'),
    client_id: slot('client_id'),
    provider_id: slot('provider_id'),
    model: slot('model'),
    input_tokens: slot('input_tokens'),
    cached_input_tokens: slot('cached_input_tokens'),
    cache_write_tokens: slot('cache_write_tokens'),
    output_tokens: slot('output_tokens'),
    cost_micros: slot('cost_micros'),
    status: slot('status'),
    http_status: slot('http_status'),
    error_code: slot('error_code'),
    latency_ms: slot('latency_ms'),
    started_at: slot('started_at'),
    ended_at: slot('ended_at'),
    endpoint: slot('endpoint'),
    stream: slot('stream'),
    reserved_micros: slot('reserved_micros'),
    reserved_tokens: slot('reserved_tokens'),
    period_keys: slot('period_keys'),
    first_byte_ms: slot('first_byte_ms'),
    upstream_request_id: slot('upstream_request_id'),
    client_address: slot('client_address'),
  }),
);

/**
 * Settles every reservation whose deadline has passed at its full reserved amount: the call's
 * gateway died mid-flight, the provider may have done the work, and the wallet must never
 * under-count (spec MTR, crash recovery). Returns how many were settled.
 */
export async function recoverStaleReservations(store: Store, now: number): Promise<number> {
  const stale = await store.database
    .selectFrom('reservations')
    .select(['id', 'money_micros', 'tokens', 'created_at'])
    .where('deadline', '<', now)
    .execute();
  let recovered = 0;
  for (const reservation of stale) {
    const settled = await settle(store, {
      reservationId: reservation.id,
      moneyMicros: Number(reservation.money_micros),
      tokens: Number(reservation.tokens),
      ledger: {
        input_tokens: 0,
        cached_input_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: Number(reservation.tokens),
        status: 'recovered',
        http_status: 0,
        error_code: 'gateway_crashed',
        latency_ms: 0,
        started_at: Number(reservation.created_at),
        ended_at: now,
        first_byte_ms: null,
        upstream_request_id: null,
      },
    });
    if (settled) recovered += 1;
  }
  return recovered;
}
