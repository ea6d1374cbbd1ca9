/**
 * The wallet's persistent state through Kysely: schema, migrations, and the atomic budget
 * operations the gateway and the authorization server share.
 */
export { type Executor, openStore, type Store, type StoreLocation } from './database.js';
export { loadMasterKey, type MasterKeySource } from './master-key.js';
export {
  type Hold,
  type ReservationRefusal,
  type ReservationRequest,
  recoverStaleReservations,
  reserve,
  type Settled,
  type SettlementRequest,
  settle,
} from './reservations.js';
export type * from './schema.js';
export { createSealer, generateMasterKey, type Sealer } from './sealing.js';
