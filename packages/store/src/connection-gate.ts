import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';
import { SqliteDialect, type SqliteDialectConfig } from 'kysely';

/**
 * The one SQLite connection, one holder at a time: Kysely's own queries and transactions wait
 * for it, and the store's hot path takes it without a wait when it is free (see
 * direct-statements.ts). A released gate passes straight to the next waiter, so a caller that
 * finds it taken never jumps the queue.
 */
export class ConnectionGate {
  #held = false;
  readonly #waiting: Array<() => void> = [];

  /** Takes the gate if it is free, at once; false when someone holds it. */
  tryTake(): boolean {
    if (this.#held) return false;
    this.#held = true;
    return true;
  }

  /** Takes the gate, after everyone already waiting for it. */
  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}

/** Kysely's SQLite dialect, with its connection taken and released through `gate`. */
export class GatedSqliteDialect extends SqliteDialect {
  readonly #gate: ConnectionGate;

  constructor(config: SqliteDialectConfig, gate: ConnectionGate) {
    super(config);
    this.#gate = gate;
  }

  override createDriver(): Driver {
    return new GatedDriver(super.createDriver(), this.#gate);
  }
}

class GatedDriver implements Driver {
  readonly #inner: Driver;
  readonly #gate: ConnectionGate;

  constructor(inner: Driver, gate: ConnectionGate) {
    this.#inner = inner;
    this.#gate = gate;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#gate.take();
    try {
      return await this.#inner.acquireConnection();
    } catch (error) {
      this.#gate.release();
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.releaseConnection(connection);
    } finally {
      this.#gate.release();
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
