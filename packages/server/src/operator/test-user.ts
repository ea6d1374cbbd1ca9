import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Store } from '@allowance/store';
import { OperatorError } from './operator-errors.js';

/**
 * Which account is the test user: every operation acts on its wallet and no other (spec 8.2,
 * "a test user"). Kept in a file when given one, so that a wallet restarted mid-run (the
 * `recovery` check) still knows it; otherwise in memory.
 */
export class TestUserRecord {
  #email: string | undefined;

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { email?: unknown };
      if (typeof stored.email === 'string') this.#email = stored.email;
    }
  }

  remember(email: string): void {
    this.#email = email;
    if (this.file) writeFileSync(this.file, JSON.stringify({ email }), { mode: 0o600 });
  }

  /** The test user's account id; 409 `no_test_user` before `POST /test-user`. */
  async accountId(store: Store): Promise<string> {
    const account =
      this.#email === undefined
        ? undefined
        : await store.database
            .selectFrom('accounts')
            .select('id')
            .where('email', '=', this.#email)
            .executeTakeFirst();
    if (!account)
      throw new OperatorError(409, 'no_test_user', 'Prepare the test user first (POST /test-user).');
    return account.id;
  }
}
