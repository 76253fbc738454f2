/**
 * First-login access codes, no HTTP in here. A client with `require_access_code` asks a person for a
 * one-time code the first time they sign in to it; the helpdesk issues the code for an account and a
 * client (`porta access-codes issue`), and it is emailed to the account's address.
 *
 * A code is a flow of kind `access_code` (data: clientId, attempts) holding only the code's keyed hash
 * (TokenHasher, src/flows/flows.ts). It is
 * looked up per (account, client) — the person is signed in — never globally by hash, and compared in
 * constant time. It expires after ACCESS_CODE_TTL_DAYS, works once, and stops working after
 * ACCESS_CODE_MAX_ATTEMPTS wrong entries. Accepting it records an access grant (table access_grants), so
 * later sign-ins to that client need only credentials, across restarts and after the flow is swept.
 *
 * Flow states: open → accepted | locked (too many wrong entries) | revoked (helpdesk) | superseded (a newer
 * code for the same client).
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Account } from '../accounts/account.js';
import type { Services } from '../services.js';
import type { Db } from '../storage/db.js';
import { clientGrants, revokeGrants } from '../storage/oidc-adapter.js';

const KIND = 'access_code';
/** No 0/O, 1/I: easy to read from a mail and to type. 32 symbols × 8 = 40 bits. */
export const ACCESS_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const ACCESS_CODE_LENGTH = 8;
const CODE_PATTERN = new RegExp(`^[${ACCESS_CODE_ALPHABET}]{${ACCESS_CODE_LENGTH}}$`);

export function generateAccessCode(): string {
  let code = '';
  for (let i = 0; i < ACCESS_CODE_LENGTH; i++) code += ACCESS_CODE_ALPHABET[randomInt(ACCESS_CODE_ALPHABET.length)];
  return code;
}

/** As typed: any case, spaces and dashes ignored. */
export const normaliseAccessCode = (typed: string) => typed.toUpperCase().replace(/[\s-]/g, '');

/** As shown in the mail: ABCD-2345. */
export const formatAccessCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

export type AccessCodeState = 'open' | 'expired' | 'accepted' | 'locked' | 'revoked' | 'superseded';

export interface AccessCode {
  id: string;
  accountId: string | null;
  clientId: string;
  state: AccessCodeState;
  attempts: number;
  createdAt: number;
  expiresAt: number;
  /** When it was accepted, locked, revoked or superseded. */
  endedAt: number | null;
}

export type AccessCodeProblem = 'access_code.required' | 'access_code.format' | 'access_code.wrong' | 'access_code.expired'
  | 'access_code.used' | 'access_code.locked' | 'access_code.revoked' | 'access_code.none';

export type Verdict = { ok: true } | { ok: false; problem: AccessCodeProblem; attemptsLeft?: number };

interface CodeData { clientId: string; attempts: number }
interface FlowRow { id: string; state: string; account_id: string | null; token_hash: string; data: string | null; created_at: number | string; expires_at: number | string; consumed_at: number | string | null }

const dataOf = (row: FlowRow): CodeData => {
  const d = (row.data ? JSON.parse(row.data) : {}) as Partial<CodeData>;
  return { clientId: String(d.clientId ?? ''), attempts: Number(d.attempts ?? 0) };
};

function describe(row: FlowRow, now: number): AccessCode {
  const data = dataOf(row);
  const consumedAt = row.consumed_at === null ? null : Number(row.consumed_at);
  const stored = row.state as AccessCodeState;
  const state: AccessCodeState = consumedAt === null ? (Number(row.expires_at) <= now ? 'expired' : 'open') : stored === 'open' ? 'accepted' : stored;
  return { id: row.id, accountId: row.account_id, clientId: data.clientId, state, attempts: data.attempts, createdAt: Number(row.created_at), expiresAt: Number(row.expires_at), endedAt: consumedAt };
}

export class AccessCodes {
  constructor(private readonly s: Services) {}

  private get now() { return this.s.clock.now(); }

  /** Has the person entered a valid code for this client before? */
  async hasAccess(accountId: string, clientId: string, trx: Db = this.s.db): Promise<boolean> {
    return Boolean(await trx('access_grants').where({ account_id: accountId, client_id: clientId }).first('client_id'));
  }

  /** Clients the account entered a code for, and when. */
  async grants(accountId: string): Promise<{ clientId: string; acceptedAt: number }[]> {
    const rows = (await this.s.db('access_grants').where({ account_id: accountId }).orderBy('client_id')) as { client_id: string; accepted_at: number | string }[];
    return rows.map((r) => ({ clientId: r.client_id, acceptedAt: Number(r.accepted_at) }));
  }

  /** The account's code flows for one client (or every client), newest first. */
  private async rows(accountId: string, clientId?: string, trx: Db = this.s.db): Promise<FlowRow[]> {
    const rows = (await trx('flows').where({ account_id: accountId, kind: KIND }).orderBy('created_at', 'desc').orderBy('id', 'desc')) as FlowRow[];
    return clientId === undefined ? rows : rows.filter((r) => dataOf(r).clientId === clientId);
  }

  /**
   * Issues a new code (the previous open one for the same client stops working) and returns it: the
   * caller mails it and never shows or stores it anywhere else.
   */
  async issue(account: Pick<Account, 'id'>, clientId: string): Promise<{ code: string; flow: AccessCode }> {
    const { s } = this;
    const code = generateAccessCode();
    const flow = await s.db.transaction(async (trx) => {
      await this.supersede(account.id, clientId, trx);
      // Started without the account and attached after: Flows.start would otherwise end the open codes
      // of every client, and a person may be waiting for codes to two services.
      const { flow: started } = await s.flows.start<CodeData & Record<string, unknown>>({
        kind: KIND, accountId: null, ttlMs: s.config.accessCodeTtlDays * 86400_000, data: { clientId, attempts: 0 }, token: code,
      }, trx);
      await trx('flows').where({ id: started.id }).update({ account_id: account.id });
      return started;
    });
    return { code, flow: { id: flow.id, accountId: account.id, clientId, state: 'open', attempts: 0, createdAt: flow.createdAt, expiresAt: flow.expiresAt, endedAt: null } };
  }

  private async supersede(accountId: string, clientId: string, trx: Db): Promise<number> {
    const open = (await this.rows(accountId, clientId, trx)).filter((r) => r.consumed_at === null).map((r) => r.id);
    if (!open.length) return 0;
    return trx('flows').whereIn('id', open).whereNull('consumed_at').update({ consumed_at: this.now, state: 'superseded' });
  }

  /**
   * Checks a typed code against the latest code issued to the account for the client. Accepting it
   * is atomic: of two racing submissions one wins, the other is told the code was used.
   */
  async verify(accountId: string, clientId: string, typed: string): Promise<Verdict> {
    const { s } = this;
    const code = normaliseAccessCode(typed);
    if (!code) return { ok: false, problem: 'access_code.required' };
    if (!CODE_PATTERN.test(code)) return { ok: false, problem: 'access_code.format' };
    const max = s.config.accessCodeMaxAttempts;

    for (let round = 0; round < 5; round++) {
      const [row] = await this.rows(accountId, clientId);
      if (!row) return { ok: false, problem: 'access_code.none' };
      const current = describe(row, this.now);
      const stored = Buffer.from(row.token_hash);
      const matches = s.flows.tokens.candidates(KIND, code).map((h) => timingSafeEqual(Buffer.from(h), stored)).includes(true);
      switch (current.state) {
        case 'revoked': return { ok: false, problem: 'access_code.revoked' };
        case 'locked': return { ok: false, problem: 'access_code.locked' };
        case 'accepted': return { ok: false, problem: matches ? 'access_code.used' : 'access_code.none' };
        case 'superseded': return { ok: false, problem: 'access_code.none' };
        case 'expired': return { ok: false, problem: 'access_code.expired' };
        case 'open': break;
      }

      if (matches) {
        const accepted = await s.db.transaction(async (trx) => {
          const won = await trx('flows').where({ id: row.id }).whereNull('consumed_at').where('expires_at', '>', this.now)
            .update({ consumed_at: this.now, state: 'accepted' });
          if (won !== 1) return false;
          await trx('access_grants').insert({ account_id: accountId, client_id: clientId, accepted_at: this.now, flow_id: row.id })
            .onConflict(['account_id', 'client_id']).ignore();
          return true;
        });
        if (accepted) return { ok: true };
        continue; // someone else ended it meanwhile: answer from its new state
      }

      // A wrong code: count it, with the stored data as the guard so concurrent wrong entries all count.
      const attempts = current.attempts + 1;
      const locked = attempts >= max;
      const changed = await s.db('flows').where({ id: row.id, data: row.data }).whereNull('consumed_at')
        .update({ data: JSON.stringify({ ...dataOf(row), attempts }), ...(locked ? { state: 'locked', consumed_at: this.now } : {}) });
      if (changed !== 1) continue;
      return locked ? { ok: false, problem: 'access_code.locked' } : { ok: false, problem: 'access_code.wrong', attemptsLeft: max - attempts };
    }
    throw new Error('access code verification kept racing');
  }

  /**
   * Withdraws access to the client: the open code stops working and an earlier acceptance is forgotten
   * (the next sign-in asks for a new code), and the person's grant to the client ends with its refresh and
   * access tokens. Returns what there was to withdraw.
   */
  async revoke(accountId: string, clientId: string): Promise<{ codes: number; access: boolean; grants: number }> {
    return this.s.db.transaction(async (trx) => {
      const open = (await this.rows(accountId, clientId, trx)).filter((r) => r.consumed_at === null).map((r) => r.id);
      const codes = open.length ? await trx('flows').whereIn('id', open).whereNull('consumed_at').update({ consumed_at: this.now, state: 'revoked' }) : 0;
      const access = (await trx('access_grants').where({ account_id: accountId, client_id: clientId }).delete()) > 0;
      const grants = await revokeGrants(trx, (await clientGrants(trx, clientId, accountId)).map((g) => g.grantId));
      return { codes, access, grants };
    });
  }

  /** Codes, newest first, optionally for one account and/or client. */
  async list(filter: { accountId?: string; clientId?: string; limit?: number } = {}): Promise<AccessCode[]> {
    const q = this.s.db('flows').where({ kind: KIND }).whereNotNull('account_id').orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (filter.accountId) q.where({ account_id: filter.accountId });
    const rows = (await q) as FlowRow[];
    const now = this.now;
    return rows.map((r) => describe(r, now)).filter((c) => !filter.clientId || c.clientId === filter.clientId).slice(0, filter.limit ?? 1000);
  }
}
