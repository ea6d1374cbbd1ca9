import { randomBytes } from 'node:crypto';
import type { Store } from '@allowance/store';
import { hashPassword, type ScryptCost, verifyPassword } from './password.js';

/** A wallet owner or member. */
export interface Account {
  id: string;
  email: string;
  role: 'owner' | 'member';
}

/** Why sign-up was refused. */
export type SignUpRefusal = 'email_taken' | 'invalid_email' | 'weak_password';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
export const MINIMUM_PASSWORD_LENGTH = 10;

/**
 * Creates an account and its wallet. The first account on a fresh install is the owner.
 */
export async function signUp(
  store: Store,
  input: {
    email: string;
    password: string;
    currency: string;
    timeZone: string;
    now: number;
    cost?: ScryptCost;
  },
): Promise<{ ok: true; account: Account } | { ok: false; reason: SignUpRefusal }> {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) return { ok: false, reason: 'invalid_email' };
  if (input.password.length < MINIMUM_PASSWORD_LENGTH) return { ok: false, reason: 'weak_password' };
  const passwordHash = await hashPassword(input.password, input.cost);
  const id = `acct_${randomBytes(12).toString('base64url')}`;
  return store.writeTransaction(async (transaction) => {
    const taken = await transaction
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirst();
    if (taken) return { ok: false as const, reason: 'email_taken' as const };
    const anyone = await transaction.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
    const role = anyone ? 'member' : 'owner';
    await transaction
      .insertInto('accounts')
      .values({ id, email, password_hash: passwordHash, role, created_at: input.now })
      .execute();
    await transaction
      .insertInto('wallets')
      .values({
        account_id: id,
        currency: input.currency,
        time_zone: input.timeZone,
        price_overrides: '{}',
        exchange_rates: '{}',
        monthly_cap_micros: null,
        updated_at: input.now,
      })
      .execute();
    return { ok: true as const, account: { id, email, role } };
  });
}

/** The account for an email and password, or `undefined`. Takes as long whether or not the email exists. */
export async function signIn(store: Store, email: string, password: string): Promise<Account | undefined> {
  const row = await store.database
    .selectFrom('accounts')
    .select(['id', 'email', 'role', 'password_hash'])
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  // Hash against a dummy when the email is unknown, so timing does not reveal which emails exist.
  const valid = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
  return row && valid ? { id: row.id, email: row.email, role: row.role } : undefined;
}

const DUMMY_HASH = `scrypt$32768$8$1$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`;

/** An account by id. */
export async function findAccount(store: Store, id: string): Promise<Account | undefined> {
  return store.database
    .selectFrom('accounts')
    .select(['id', 'email', 'role'])
    .where('id', '=', id)
    .executeTakeFirst();
}
