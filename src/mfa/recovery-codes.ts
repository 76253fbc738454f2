/**
 * Recovery codes: 10 single-use codes shown once, when the first method is enrolled and whenever they are
 * regenerated (which ends the old ones). 12 symbols out of 32 (60 bits), so a SHA-256 with a per-account
 * prefix is enough to store them; using one is an atomic UPDATE … WHERE used_at IS NULL.
 */
import { createHash, randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../storage/db.js';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const LENGTH = 12;
const PATTERN = new RegExp(`^[${ALPHABET}]{${LENGTH}}$`);

/** As typed: any case, spaces and dashes ignored; undefined when it cannot be a recovery code. */
export function normaliseRecoveryCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]/g, '');
  return PATTERN.test(code) ? code : undefined;
}

/** As shown: ABCD-EFGH-JKLM. */
export const formatRecoveryCode = (code: string) => code.match(/.{4}/g)!.join('-');

const hash = (accountId: string, code: string) => createHash('sha256').update(`recovery:${accountId}:${code}`).digest('hex');

export class RecoveryCodes {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  /** New codes replace every earlier one; returns them formatted, to be shown once. */
  async regenerate(accountId: string, trx: Db = this.db): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''));
    const now = this.clock.now();
    await trx('recovery_codes').where({ account_id: accountId }).delete();
    await trx('recovery_codes').insert(codes.map((c) => ({ account_id: accountId, code_hash: hash(accountId, c), created_at: now, used_at: null })));
    return codes.map(formatRecoveryCode);
  }

  /** Spends the code if it is one of the account's unused ones; returns how many are left, or undefined. */
  async use(accountId: string, typed: string): Promise<number | undefined> {
    const code = normaliseRecoveryCode(typed);
    if (!code) return undefined;
    const spent = await this.db('recovery_codes').where({ account_id: accountId, code_hash: hash(accountId, code) }).whereNull('used_at')
      .update({ used_at: this.clock.now() });
    return spent === 1 ? this.left(accountId) : undefined;
  }

  async left(accountId: string, trx: Db = this.db): Promise<number> {
    const row = (await trx('recovery_codes').where({ account_id: accountId }).whereNull('used_at').count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  }

  async removeAll(accountId: string, trx: Db = this.db): Promise<void> {
    await trx('recovery_codes').where({ account_id: accountId }).delete();
  }
}
