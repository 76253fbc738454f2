/**
 * Federated accounts: a person's identity at an institution (idp, subject) tied to one Porta account of
 * user type `federated` — a person code, no password — made at the first sign-in and refreshed from the
 * institution at each one after. The database's unique (idp, subject) index decides a race of two first
 * sign-ins. Protocol-neutral: the SAML ACS (and later the OIDC RP) hand in the identifier and claims.
 */
import { randomBytes } from 'node:crypto';
import type { Account } from '../accounts/account.js';
import { checkEmail } from '../accounts/validation.js';
import type { Services } from '../services.js';
import { DuplicateError } from '../storage/accounts.js';
import { isUniqueViolation, type Db } from '../storage/db.js';

export type FederatedClaims = Record<string, string | string[] | boolean>;

export interface FederatedLogin {
  /** entityID of the institution. */
  idp: string;
  /** Its identifier for the person (attributes.ts federatedIdentifier). */
  subject: string;
  claims: FederatedClaims;
}

interface IdentityRow { id: string; account_id: string; idp: string; subject: string; claims: string; created_at: number | string; last_login_at: number | string }

/** What the account table keeps of the names (its columns hold 100 characters); the claims keep the rest. */
function names(claims: FederatedClaims): { givenName: string; familyName: string } {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const display = text(claims.name);
  const givenName = text(claims.given_name) || display.split(' ')[0] || '';
  const familyName = text(claims.family_name) || (text(claims.given_name) ? '' : display.split(' ').slice(1).join(' '));
  return { givenName: givenName.slice(0, 100), familyName: familyName.slice(0, 100) };
}

export class FederatedAccounts {
  constructor(private readonly s: Services) {}

  /** The account of this identity, made at its first sign-in; the profile refreshed from the institution. */
  async signIn(login: FederatedLogin, o: { ip?: string; clientId?: string } = {}): Promise<{ account: Account; created: boolean }> {
    const { s } = this;
    for (let attempt = 0; ; attempt++) {
      const found = (await s.db('federated_identities').where({ idp: login.idp, subject: login.subject }).first()) as IdentityRow | undefined;
      if (found) {
        const now = s.clock.now();
        const linked = await s.accounts.findById(found.account_id);
        // A federated account's profile is the institution's; a linked local account keeps its own.
        const federatedType = linked?.userType === 'federated';
        await s.db.transaction(async (trx) => {
          await trx('federated_identities').where({ id: found.id }).update({ claims: JSON.stringify(login.claims), last_login_at: now });
          const profile = federatedType ? { given_name: names(login.claims).givenName, family_name: names(login.claims).familyName } : {};
          await trx('accounts').where({ id: found.account_id }).update({ ...profile, last_login_at: now });
        });
        const account = await s.accounts.findById(found.account_id);
        if (account) return { account: federatedType ? await this.syncEmail(account, login.claims) : account, created: false };
      }
      try {
        const account = await s.db.transaction((trx) => this.create(login, o, trx));
        return { account: await this.syncEmail(account, login.claims), created: true };
      } catch (err) {
        // Another sign-in of the same person made it first: take theirs.
        if (attempt >= 1 || !isUniqueViolation(err)) throw err;
      }
    }
  }

  private async create(login: FederatedLogin, o: { ip?: string; clientId?: string }, trx: Db): Promise<Account> {
    const account = await this.s.accounts.create({ ...names(login.claims), userType: 'federated', status: 'active' }, trx);
    await this.tie(account, login, 'federation.account_created', o, trx);
    return account;
  }

  /** Records the identity as the account's, as its latest sign-in, with the audit event `action`. */
  private async tie(account: Account, login: FederatedLogin, action: string, o: { ip?: string; clientId?: string }, trx: Db): Promise<void> {
    const now = this.s.clock.now();
    await trx('federated_identities').insert({
      id: randomBytes(16).toString('base64url'), account_id: account.id, idp: login.idp, subject: login.subject,
      claims: JSON.stringify(login.claims), created_at: now, last_login_at: now,
    });
    await trx('accounts').where({ id: account.id }).update({ last_login_at: now });
    await this.s.audit.record({ action, actor: `account:${account.id}`, accountId: account.id, clientId: o.clientId, ip: o.ip, details: { idp: login.idp } }, trx);
  }

  /**
   * The institution's address becomes the account's (where Porta mails codes and notices) only when the
   * institution is trusted to have verified it (trustEmailVerified: email_verified in the claims) and it is
   * an address registration would accept. An unverified one is kept out of the account: stored, it would
   * squat the address (the unique index refuses its real owner) and Porta would mail it; the account then
   * has no address until the person sets one up (a mail code to it proves it). Nor does it go into the
   * claims (profileClaims): relying services only see the account's own address. When another account
   * holds it, nothing is merged or moved, the account keeps what it had (linking is an explicit act).
   */
  private async syncEmail(account: Account, claims: FederatedClaims): Promise<Account> {
    const checked = typeof claims.email === 'string' && claims.email_verified === true ? checkEmail(claims.email) : undefined;
    const email = checked?.value;
    if (!email || (account.email === email && account.emailVerified)) return account;
    try {
      await this.s.accounts.setEmail(account.id, email, { verified: true });
    } catch (err) {
      if (err instanceof DuplicateError) return account;
      throw err;
    }
    return { ...account, email, emailVerified: true };
  }

  /**
   * The local account a person may link this new identity to: the one holding the address the institution
   * vouches for (trustEmailVerified), with a password to prove it. Undefined when the identity is known,
   * or there is no such account. Never merged on its own: the person proves the password first.
   */
  async linkCandidate(login: FederatedLogin, emailTrusted: boolean): Promise<Account | undefined> {
    const email = login.claims.email;
    if (!emailTrusted || typeof email !== 'string' || login.claims.email_verified !== true) return undefined;
    if (await this.s.db('federated_identities').where({ idp: login.idp, subject: login.subject }).first()) return undefined;
    const account = await this.s.accounts.findByEmail(email);
    return account && account.userType !== 'federated' && account.passwordHash && account.status === 'active' ? account : undefined;
  }

  /** Ties the identity to an existing account (whose password was just proved); false when it is already tied to one. */
  async link(account: Account, login: FederatedLogin, o: { ip?: string; clientId?: string } = {}): Promise<boolean> {
    try {
      await this.s.db.transaction((trx) => this.tie(account, login, 'federation.linked', o, trx));
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Unties an institution identity from an account; true when there was one. */
  async unlink(accountId: string, identityId: string, o: { ip?: string } = {}): Promise<{ idp: string } | undefined> {
    const row = (await this.s.db('federated_identities').where({ id: identityId, account_id: accountId }).first()) as IdentityRow | undefined;
    if (!row) return undefined;
    const gone = await this.s.db('federated_identities').where({ id: identityId, account_id: accountId }).delete();
    if (gone !== 1) return undefined;
    await this.s.audit.record({ action: 'federation.unlinked', actor: `account:${accountId}`, accountId, ip: o.ip, details: { idp: row.idp } });
    return { idp: row.idp };
  }

  /** Every institution identity of an account (for the helpdesk: `porta users show`), most recently used first. */
  async identities(accountId: string): Promise<{ id: string; idp: string; subject: string; createdAt: number; lastLoginAt: number }[]> {
    const rows = (await this.s.db('federated_identities').where({ account_id: accountId }).orderBy('last_login_at', 'desc')) as IdentityRow[];
    return rows.map((r) => ({ id: r.id, idp: r.idp, subject: r.subject, createdAt: Number(r.created_at), lastLoginAt: Number(r.last_login_at) }));
  }

  /**
   * What a federated account's claims take from its institution (the last sign-in's), `idp` included:
   * never `email` / `email_verified`, which come from the account row only (what Porta holds and knows
   * to be verified), so that an institution cannot hand relying services an address it does not own.
   */
  async profileClaims(accountId: string): Promise<FederatedClaims | undefined> {
    const identity = await this.identityOf(accountId);
    if (!identity) return undefined;
    const { email: _email, email_verified: _verified, ...claims } = identity.claims;
    return { ...claims, idp: identity.idp };
  }

  /** The institution an account signed in with last, and the claims it sent then. */
  async identityOf(accountId: string): Promise<{ idp: string; claims: FederatedClaims } | undefined> {
    const row = (await this.s.db('federated_identities').where({ account_id: accountId }).orderBy('last_login_at', 'desc').first()) as IdentityRow | undefined;
    return row && { idp: row.idp, claims: JSON.parse(row.claims) as FederatedClaims };
  }
}
