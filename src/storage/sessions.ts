/**
 * An account's sign-in sessions and grants as oidc-provider stored them (oidc_payloads, indexed by
 * account_id), for the personal area and for revocation. Every query is scoped to the account, so a
 * person can only see and end their own. Ending a session owes its services a back-channel logout
 * (logout_notices, sent by src/flows/backchannel-logout.ts).
 */
import type { Clock } from '../clock.js';
import type { Db } from './db.js';

const TABLE = 'oidc_payloads';

export interface SessionSummary {
  /** Stable for the session's life (the row id, oidc-provider's jti, changes on every sign-in round). */
  uid: string;
  id: string;
  /** When the person signed in (ms), if known. */
  loginAt: number | null;
  clientIds: string[];
  grantIds: string[];
}

export interface GrantSummary {
  id: string;
  clientId: string;
  /** When access was last granted or renewed (ms). */
  grantedAt: number | null;
}

export interface SignIn { at: number; ip: string | null; clientId: string | null }

interface Row { id: string; payload: string }

interface SessionPayload { uid?: string; loginTs?: number; authorizations?: Record<string, { grantId?: string; sid?: string }> }
interface GrantPayload { clientId?: string; iat?: number }

export class AccountSessions {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  private live(accountId: string, model: string, trx: Db) {
    const now = this.clock.now();
    return trx(TABLE).where({ account_id: accountId, model })
      .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now)).select('id', 'payload') as Promise<Row[]>;
  }

  async sessions(accountId: string, trx: Db = this.db): Promise<SessionSummary[]> {
    const rows = await this.live(accountId, 'Session', trx);
    return rows.map((r) => {
      const p = JSON.parse(r.payload) as SessionPayload;
      const authorizations = Object.entries(p.authorizations ?? {});
      return {
        uid: p.uid ?? r.id, id: r.id, loginAt: p.loginTs ? p.loginTs * 1000 : null,
        clientIds: authorizations.map(([clientId]) => clientId),
        grantIds: authorizations.map(([, a]) => a.grantId).filter((g): g is string => typeof g === 'string'),
      };
    }).sort((a, b) => (b.loginAt ?? 0) - (a.loginAt ?? 0));
  }

  async grants(accountId: string, trx: Db = this.db): Promise<GrantSummary[]> {
    const rows = await this.live(accountId, 'Grant', trx);
    return rows.map((r) => {
      const p = JSON.parse(r.payload) as GrantPayload;
      return { id: r.id, clientId: p.clientId ?? '', grantedAt: p.iat ? p.iat * 1000 : null };
    }).sort((a, b) => (b.grantedAt ?? 0) - (a.grantedAt ?? 0));
  }

  /** The account's latest successful sign-ins, from the audit log (written by the login step). */
  async recentSignIns(accountId: string, limit = 10, trx: Db = this.db): Promise<SignIn[]> {
    const rows = (await trx('audit_events').where({ account_id: accountId, action: 'login.succeeded' })
      .orderBy('id', 'desc').limit(limit).select('at', 'ip', 'client_id')) as { at: number | string; ip: string | null; client_id: string | null }[];
    return rows.map((r) => ({ at: Number(r.at), ip: r.ip, clientId: r.client_id }));
  }

  /** Ends one session (found by its uid): the session, the grants it made and their tokens. False when it is not the account's. */
  async endSession(accountId: string, uid: string, trx: Db = this.db): Promise<boolean> {
    const session = (await this.sessions(accountId, trx)).find((s) => s.uid === uid);
    if (!session) return false;
    const ended = trx(TABLE).where({ account_id: accountId, model: 'Session', id: session.id }).select('id', 'payload') as Promise<Row[]>;
    await oweLogouts(trx, accountId, await ended, this.clock.now());
    await trx(TABLE).where({ account_id: accountId, model: 'Session', id: session.id }).delete();
    for (const grantId of session.grantIds) await this.revokeGrant(accountId, grantId, trx);
    return true;
  }

  /** Revokes a grant and every code and token issued under it. False when it is not the account's. */
  async revokeGrant(accountId: string, grantId: string, trx: Db = this.db): Promise<boolean> {
    const deleted = await trx(TABLE).where({ account_id: accountId })
      .where((q) => q.where({ model: 'Grant', id: grantId }).orWhere({ grant_id: grantId })).delete();
    return deleted > 0;
  }
}

/**
 * Ends everything the account holds — sessions, grants, codes, tokens, unfinished sign-ins — except what
 * `keep` names: a password change spares the session the person is using and the sign-in step they are
 * in. Used by every path that takes an account back (reset, password change, "it wasn't me") or ends it
 * (disable, delete). Returns how many rows ended.
 */
export async function revokeAccountData(trx: Db, accountId: string, now: number, keep: { sessionId?: string; interactionId?: string } = {}): Promise<number> {
  const sessions = trx(TABLE).where({ account_id: accountId, model: 'Session' }).select('id', 'payload');
  if (keep.sessionId) sessions.whereNot({ id: keep.sessionId });
  await oweLogouts(trx, accountId, (await sessions) as Row[], now);
  const q = trx(TABLE).where({ account_id: accountId });
  if (keep.sessionId) q.whereNot((w) => w.where({ model: 'Session', id: keep.sessionId }));
  if (keep.interactionId) q.whereNot((w) => w.where({ model: 'Interaction', id: keep.interactionId }));
  return q.delete();
}

/** Every service the ended sessions signed in to is owed a back-channel logout, recorded in the same transaction. */
async function oweLogouts(trx: Db, accountId: string, sessions: Row[], now: number): Promise<void> {
  const notices = sessions.flatMap((r) => Object.entries((JSON.parse(r.payload) as SessionPayload).authorizations ?? {})
    .map(([clientId, a]) => ({ client_id: clientId, account_id: accountId, sid: a.sid ?? null, created_at: now })));
  for (let i = 0; i < notices.length; i += 200) await trx('logout_notices').insert(notices.slice(i, i + 200));
}
