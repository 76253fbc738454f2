/**
 * An account's second factors, no HTTP: the one place that lists them, verifies one, and says which
 * RFC 8176 `amr` value it proved. Every kind lives in the table `second_factors` (kind-specific columns);
 * a new kind (WebAuthn) adds its verifier here beside TOTP and recovery codes, and the pages and
 * policies go on reading `Verified.amr`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../storage/db.js';
import { Sealer } from '../storage/sealed.js';
import type { SecondFactorAmr } from './assurance.js';
import { RecoveryCodes } from './recovery-codes.js';
import { matchingStep, TOTP_CODE } from './totp.js';

export const METHOD_KINDS = ['totp', 'webauthn'] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];
export const METHOD_NAME_MAX = 64;

/** What may be shown about a method: never its secret. */
export interface Method {
  id: string;
  accountId: string;
  kind: MethodKind;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** A proved second factor: which method (none for a recovery code), and what the session records. */
export type Verified =
  | { ok: true; via: 'method'; method: Method; amr: SecondFactorAmr }
  | { ok: true; via: 'recovery_code'; amr: SecondFactorAmr; left: number }
  | { ok: false };

interface Row {
  id: string; account_id: string; kind: string; name: string; created_at: number | string; last_used_at: number | string | null;
  totp_secret: string | null; totp_last_step: number | string | null;
}

const toMethod = (r: Row): Method => ({
  id: r.id, accountId: r.account_id, kind: r.kind as MethodKind, name: r.name,
  createdAt: Number(r.created_at), lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

export class DuplicateMethodName extends Error {}

export class SecondFactors {
  readonly recoveryCodes: RecoveryCodes;
  private readonly sealer: Sealer;

  constructor(private readonly db: Db, private readonly clock: Clock, keysEncryptionSecret: string) {
    this.recoveryCodes = new RecoveryCodes(db, clock);
    this.sealer = new Sealer(keysEncryptionSecret, 'second-factors', 'second-factor secrets');
  }

  /** The account's methods, oldest first. */
  async list(accountId: string, trx: Db = this.db): Promise<Method[]> {
    const rows = (await trx('second_factors').where({ account_id: accountId }).orderBy('created_at').orderBy('id')) as Row[];
    return rows.map(toMethod);
  }

  async has(accountId: string, trx: Db = this.db): Promise<boolean> {
    return Boolean(await trx('second_factors').where({ account_id: accountId }).first('id'));
  }

  /** Seals a TOTP secret for keeping outside the table meanwhile (an enrolment in progress). */
  sealSecret(base32: string): string { return this.sealer.seal(base32); }
  openSecret(sealed: string): string { return this.sealer.open(sealed); }

  /**
   * Adds an authenticator app whose first code was accepted for time step `step` (so that code cannot be
   * used again). Throws DuplicateMethodName when the account has a method of that name.
   */
  async addTotp(accountId: string, name: string, base32: string, step: number, trx: Db = this.db): Promise<Method> {
    const now = this.clock.now();
    const row = {
      id: randomBytes(16).toString('base64url'), account_id: accountId, kind: 'totp', name, created_at: now, last_used_at: now,
      totp_secret: this.sealer.seal(base32), totp_last_step: step,
    };
    try {
      await trx('second_factors').insert(row);
    } catch (err) {
      if (await trx('second_factors').where({ account_id: accountId, name }).first('id')) throw new DuplicateMethodName(name, { cause: err });
      throw err;
    }
    return toMethod(row as Row);
  }

  /**
   * Checks a typed code: a current TOTP code of one of the account's apps, not used before, or one of
   * its unused recovery codes. Each is spent atomically, so of two racing submissions one wins.
   */
  async verifyCode(accountId: string, typed: string): Promise<Verified> {
    const code = typed.replace(/[\s-]/g, '');
    if (TOTP_CODE.test(code)) {
      const now = this.clock.now();
      const rows = (await this.db('second_factors').where({ account_id: accountId, kind: 'totp' })) as Row[];
      for (const row of rows) {
        const step = matchingStep(this.sealer.open(row.totp_secret!), code, now);
        if (step === undefined) continue;
        // Only a later step than the last accepted one: a code seen once (or an earlier one) is refused.
        const took = await this.db('second_factors').where({ id: row.id })
          .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
          .update({ totp_last_step: step, last_used_at: now });
        if (took === 1) return { ok: true, via: 'method', method: { ...toMethod(row), lastUsedAt: now }, amr: 'otp' };
      }
      return { ok: false };
    }
    const left = await this.recoveryCodes.use(accountId, typed);
    return left === undefined ? { ok: false } : { ok: true, via: 'recovery_code', amr: 'otp', left };
  }

  /** Renames a method; false when it is not the account's. Throws DuplicateMethodName. */
  async rename(accountId: string, id: string, name: string): Promise<boolean> {
    try {
      return (await this.db('second_factors').where({ id, account_id: accountId }).update({ name })) === 1;
    } catch (err) {
      if (await this.db('second_factors').where({ account_id: accountId, name }).whereNot({ id }).first('id')) throw new DuplicateMethodName(name, { cause: err });
      throw err;
    }
  }

  /** Removes one method; with the last one the recovery codes go too. Returns the removed method. */
  async remove(accountId: string, id: string): Promise<Method | undefined> {
    return this.db.transaction(async (trx) => {
      const row = (await trx('second_factors').where({ id, account_id: accountId }).first()) as Row | undefined;
      if (!row) return undefined;
      await trx('second_factors').where({ id }).delete();
      if (!(await this.has(accountId, trx))) await this.recoveryCodes.removeAll(accountId, trx);
      return toMethod(row);
    });
  }

  /** Every method and recovery code of the account (the helpdesk's reset); returns how many methods. */
  async removeAll(accountId: string, trx?: Db): Promise<number> {
    const run = async (t: Db) => {
      const n = await t('second_factors').where({ account_id: accountId }).delete();
      await this.recoveryCodes.removeAll(accountId, t);
      return n;
    };
    return trx ? run(trx) : this.db.transaction(run);
  }
}
