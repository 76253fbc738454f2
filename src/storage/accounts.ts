/** Accounts in the database. Methods take an optional transaction. */
import { randomBytes } from 'node:crypto';
import { emailKey, usernameKey, type Account, type AccountStatus, type UserType } from '../accounts/account.js';
import { generatePersonCode, isPersonCode } from '../accounts/person-code.js';
import type { Clock } from '../clock.js';
import { uniqueViolation, type Db } from './db.js';
import { getRow } from './statements.js';

interface AccountRow {
  id: string; person_code: string; username: string | null; password_hash: string | null;
  given_name: string; family_name: string; birthdate: string | null; email: string | null;
  email_verified: number | boolean; phone: string | null; user_type: string; status: string; locale: string | null;
  created_at: number | string; activated_at: number | string | null; last_login_at: number | string | null;
  password_changed_at: number | string | null; disabled_at: number | string | null;
  failed_logins: number | string; last_failed_at: number | string | null; locked_until: number | string | null;
}

const ms = (v: number | string | null) => (v === null ? null : Number(v));

function fromRow(r: AccountRow): Account {
  return {
    id: r.id, personCode: r.person_code, username: r.username, passwordHash: r.password_hash,
    givenName: r.given_name, familyName: r.family_name, birthdate: r.birthdate, email: r.email,
    emailVerified: Boolean(r.email_verified), phone: r.phone, userType: r.user_type as UserType,
    status: r.status as AccountStatus, locale: r.locale, createdAt: Number(r.created_at),
    activatedAt: ms(r.activated_at), lastLoginAt: ms(r.last_login_at),
    passwordChangedAt: ms(r.password_changed_at), disabledAt: ms(r.disabled_at),
    failedLogins: Number(r.failed_logins ?? 0), lastFailedAt: ms(r.last_failed_at ?? null), lockedUntil: ms(r.locked_until ?? null),
  };
}

export interface NewAccount {
  username?: string | null;
  passwordHash?: string | null;
  givenName: string;
  familyName: string;
  birthdate?: string | null;
  email?: string | null;
  emailVerified?: boolean;
  phone?: string | null;
  userType: UserType;
  status: AccountStatus;
  locale?: string | null;
}

export class DuplicateError extends Error {
  constructor(readonly field: 'username' | 'email') {
    super(`${field} already in use`);
  }
}

export class Accounts {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  /** Creates an account with a fresh subject id and person code. Throws DuplicateError on a taken username or email. */
  async create(input: NewAccount, trx: Db = this.db): Promise<Account> {
    const now = this.clock.now();
    for (let attempt = 0; ; attempt++) {
      const row = {
        id: randomBytes(16).toString('base64url'),
        person_code: generatePersonCode(),
        username: input.username ? input.username.normalize('NFKC').trim() : null,
        username_key: input.username ? usernameKey(input.username) : null,
        password_hash: input.passwordHash ?? null,
        given_name: input.givenName,
        family_name: input.familyName,
        birthdate: input.birthdate ?? null,
        email: input.email ? input.email.normalize('NFKC').trim() : null,
        email_key: input.email ? emailKey(input.email) : null,
        email_verified: input.emailVerified ?? false,
        phone: input.phone ?? null,
        user_type: input.userType,
        status: input.status,
        locale: input.locale ?? null,
        created_at: now,
        activated_at: input.status === 'active' ? now : null,
        password_changed_at: input.passwordHash ? now : null,
      };
      try {
        // In a savepoint when inside a transaction: PostgreSQL aborts the whole transaction on a failed
        // insert, and the next attempt (a person-code collision) or the caller must still be able to use it.
        await trx.transaction((sp) => sp('accounts').insert(row));
        return (await this.findById(row.id, trx))!;
      } catch (err) {
        const violation = uniqueViolation(err);
        if (violation === undefined) throw err;
        if (violation.includes('username_key')) throw new DuplicateError('username');
        if (violation.includes('email_key')) throw new DuplicateError('email');
        // A person-code or id collision: draw again.
        if (attempt >= 5) throw err;
      }
    }
  }

  async findById(id: string, trx: Db = this.db): Promise<Account | undefined> {
    // Every token, userinfo and introspection request looks its account up: plain SQL (statements.ts).
    const row = trx === this.db
      ? await getRow<AccountRow>(this.db, { sql: 'SELECT * FROM accounts WHERE id = ?', bindings: [id] })
      : ((await trx('accounts').where({ id }).first()) as AccountRow | undefined);
    return row && fromRow(row);
  }

  /** A login name is a username (any case) or a person code. */
  async findByLogin(login: string, trx: Db = this.db): Promise<Account | undefined> {
    const value = login.normalize('NFKC').trim();
    if (!value || value.length > 64) return undefined;
    const query = isPersonCode(value) ? { person_code: value } : { username_key: usernameKey(value) };
    const row = (await trx('accounts').where(query).first()) as AccountRow | undefined;
    return row && fromRow(row);
  }

  async findByEmail(email: string, trx: Db = this.db): Promise<Account | undefined> {
    const row = (await trx('accounts').where({ email_key: emailKey(email) }).first()) as AccountRow | undefined;
    return row && fromRow(row);
  }

  async list({ limit = 100, offset = 0 } = {}, trx: Db = this.db): Promise<Account[]> {
    const rows = (await trx('accounts').orderBy('created_at', 'desc').orderBy('id').limit(limit).offset(offset)) as AccountRow[];
    return rows.map(fromRow);
  }

  /** pending → active, with the email proved. Returns false when the account was not pending. */
  async activate(id: string, trx: Db = this.db): Promise<boolean> {
    const now = this.clock.now();
    const n = await trx('accounts').where({ id, status: 'pending' }).update({ status: 'active', activated_at: now, email_verified: true });
    return n === 1;
  }

  /** Changes the address; DuplicateError('email') when another account holds it. */
  async setEmail(id: string, email: string, { verified }: { verified: boolean }, trx: Db = this.db): Promise<void> {
    try {
      await trx('accounts').where({ id }).update({ email: email.normalize('NFKC').trim(), email_key: emailKey(email), email_verified: verified });
    } catch (err) {
      if (uniqueViolation(err) !== undefined) throw new DuplicateError('email');
      throw err;
    }
  }

  /**
   * Deletes pending registrations whose activation window has closed (no open activation or
   * set-password flow left), freeing their username and address. Returns how many went.
   */
  async deleteExpiredPending(createdBefore: number, trx: Db = this.db): Promise<number> {
    const now = this.clock.now();
    return trx('accounts').where({ status: 'pending' }).where('created_at', '<', createdBefore)
      .whereNotExists((q) => q.select(trx.raw('1')).from('flows').whereRaw('flows.account_id = accounts.id')
        .whereIn('kind', ['activation', 'set_password']).whereNull('consumed_at').where('expires_at', '>', now))
      .delete();
  }

  async recordLogin(id: string, trx: Db = this.db): Promise<void> {
    await trx('accounts').where({ id }).update({ last_login_at: this.clock.now() });
  }

  async setPasswordHash(id: string, passwordHash: string, { changed }: { changed: boolean }, trx: Db = this.db): Promise<void> {
    await trx('accounts').where({ id }).update(changed ? { password_hash: passwordHash, password_changed_at: this.clock.now() } : { password_hash: passwordHash });
  }
}
