/**
 * The wallet's persistent state through Kysely: schema, migrations, and the atomic budget
 * operations the gateway and the authorization server share.
 */

export {
  type ConfirmationRecord,
  type ConfirmationState,
  type ConfirmedCall,
  confirmationState,
  createConfirmation,
  decideConfirmation,
  findConfirmation,
  listPendingConfirmations,
  newConfirmationId,
  purgeExpiredConfirmations,
  restoreConfirmation,
  useConfirmation,
} from './confirmations.js';
export {
  type ConfiguredProvider,
  credentialSealContext,
  openSealedCredential,
  type SealedCredential,
} from './credentials.js';
export {
  changeGrantStatus,
  type DailyTotal,
  dailyLedgerTotals,
  type LedgerCursor,
  type LedgerEntry,
  type LedgerPage,
  type LedgerPageOptions,
  ledgerPage,
  ledgerSpendBetween,
  replaceGrantDetails,
  type UsageCounter,
  usageCounters,
} from './dashboard-queries.js';
export { type Executor, openStore, type Store, type StoreLocation } from './database.js';
export { rememberDpopProof, sweepDpopProofs } from './dpop-proofs.js';
export { findGrantWithWallet, type GrantWithWallet } from './grant-context.js';
export {
  createGrant,
  findGrant,
  findRememberedGrant,
  type GrantRecord,
  listGrants,
  markGrantConnected,
  newGrantId,
  revokeGrant,
  setGrantAllowlist,
  setGrantRequireDpop,
} from './grants.js';
export { type LegacyOidcModelsRewrite, rewriteLegacyOidcModels } from './legacy-oidc-models.js';
export { loadMasterKey, type MasterKeySource } from './master-key.js';
export { type PreparedQuery, preparedQuery } from './prepared-query.js';
export { takeFromRateBucket } from './rate-buckets.js';
export {
  type Hold,
  type ReservationRefusal,
  type ReservationRequest,
  recoverStaleReservations,
  reserve,
  type Settled,
  type SettledCounter,
  type SettlementRequest,
  settle,
} from './reservations.js';
export type * from './schema.js';
export { createSealer, generateMasterKey, type Sealer } from './sealing.js';
export { updateWalletSettings, type WalletChanges } from './wallet-changes.js';
export { type WalletSettings, walletSettings } from './wallet-settings.js';
