/**
 * What the helpdesk and the account lifecycle do to accounts beyond self-service: search, disable and
 * enable, delete, and the inactivity bookkeeping (columns of migration 004). Methods take an optional
 * transaction.
 */
import { emailKey, usernameKey, type AccountStatus, type UserType } from '../accounts/account.js';
import type { Clock } from '../clock.js';
import { endPendingFlows } from '../flows/flows.js';
import type { Db } from './db.js';
import { revokeAccountData } from './sessions.js';

export type DisabledReason = 'inactive' | 'helpdesk';

export interface LifecycleFields {
  inactivityWarnedAt: number | null;
  disabledReason: DisabledReason | null;
  enabledAt: number | null;
}

/** The columns the lifecycle decides on. */
export interface LifecycleAccount extends LifecycleFields {
  id: string;
  personCode: string;
  username: string | null;
  givenName: string;
  familyName: string;
  email: string | null;
  locale: string | null;
  userType: UserType;
  status: AccountStatus;
  createdAt: number;
  activatedAt: number | null;
  lastLoginAt: number | null;
  disabledAt: number | null;
}

interface Row {
  id: string; person_code: string; username: string | null; given_name: string; family_name: string; email: string | null; locale: string | null;
  user_type: string; status: string; created_at: number | string; activated_at: number | string | null; last_login_at: number | string | null;
  disabled_at: number | string | null; inactivity_warned_at: number | string | null; disabled_reason: string | null; enabled_at: number | string | null;
}

const ms = (v: number | string | null) => (v === null ? null : Number(v));
const COLUMNS = ['id', 'person_code', 'username', 'given_name', 'family_name', 'email', 'locale', 'user_type', 'status', 'created_at', 'activated_at',
  'last_login_at', 'disabled_at', 'inactivity_warned_at', 'disabled_reason', 'enabled_at'];

const fromRow = (r: Row): LifecycleAccount => ({
  id: r.id, personCode: r.person_code, username: r.username, givenName: r.given_name, familyName: r.family_name, email: r.email, locale: r.locale,
  userType: r.user_type as UserType, status: r.status as AccountStatus, createdAt: Number(r.created_at), activatedAt: ms(r.activated_at),
  lastLoginAt: ms(r.last_login_at), disabledAt: ms(r.disabled_at), inactivityWarnedAt: ms(r.inactivity_warned_at),
  disabledReason: r.disabled_reason as DisabledReason | null, enabledAt: ms(r.enabled_at),
});

/** LIKE pattern for a fragment, with the wildcards in it taken literally. */
const contains = (fragment: string) => `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class AccountAdmin {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  async lifecycleOf(id: string, trx: Db = this.db): Promise<LifecycleAccount | undefined> {
    const row = (await trx('accounts').where({ id }).first(COLUMNS)) as Row | undefined;
    return row && fromRow(row);
  }

  /**
   * Accounts whose username, email or name contains the text (any case), or whose person code or
   * subject id is the text. Ids, best matches first.
   */
  async search(text: string, limit: number, trx: Db = this.db): Promise<string[]> {
    const value = text.normalize('NFKC').trim();
    const lower = value.toLowerCase();
    const like = contains(lower);
    const rows = (await trx('accounts')
      .where({ person_code: value })
      .orWhere({ id: value })
      .orWhere({ username_key: usernameKey(value) })
      .orWhere({ email_key: emailKey(value) })
      .orWhereRaw("username_key like ? escape '\\'", [like])
      .orWhereRaw("email_key like ? escape '\\'", [like])
      .orWhereRaw("lower(given_name) like ? escape '\\'", [like])
      .orWhereRaw("lower(family_name) like ? escape '\\'", [like])
      .orWhereRaw("lower(given_name || ' ' || family_name) like ? escape '\\'", [like])
      .orWhereRaw("lower(family_name || ' ' || given_name) like ? escape '\\'", [like])
      .orderBy('family_name').orderBy('given_name').orderBy('id')
      .limit(limit)
      .select('id', 'person_code', 'username_key', 'email_key')) as { id: string; person_code: string; username_key: string | null; email_key: string | null }[];
    const exact = (r: (typeof rows)[number]) => r.person_code === value || r.id === value || r.username_key === usernameKey(value) || r.email_key === emailKey(value);
    return [...rows.filter(exact), ...rows.filter((r) => !exact(r))].map((r) => r.id);
  }

  /** active → disabled; ends the account's sessions and tokens, and its pending email change and reset link. False when it was not active. */
  async disable(id: string, reason: DisabledReason, trx?: Db): Promise<boolean> {
    const run = async (t: Db) => {
      const n = await t('accounts').where({ id, status: 'active' }).update({ status: 'disabled', disabled_at: this.clock.now(), disabled_reason: reason });
      if (n !== 1) return false;
      await revokeAccountData(t, id, this.clock.now());
      await endPendingFlows(t, id, this.clock.now());
      return true;
    };
    return trx ? run(trx) : this.db.transaction(run);
  }

  /** disabled → active; the inactivity clock starts again. False when it was not disabled. */
  async enable(id: string, trx: Db = this.db): Promise<boolean> {
    const n = await trx('accounts').where({ id, status: 'disabled' })
      .update({ status: 'active', disabled_at: null, disabled_reason: null, inactivity_warned_at: null, enabled_at: this.clock.now() });
    return n === 1;
  }

  /**
   * Deletes the account with everything oidc-provider holds for it. Its flows stay as tombstones (their
   * links answer "expired"); the audit log keeps its events. `where` guards against a state that changed.
   */
  async remove(id: string, where: Partial<{ status: AccountStatus; disabled_reason: DisabledReason }> = {}, trx?: Db): Promise<boolean> {
    const run = async (t: Db) => {
      const n = await t('accounts').where({ id, ...where }).delete();
      if (n !== 1) return false;
      await revokeAccountData(t, id, this.clock.now());
      return true;
    };
    return trx ? run(trx) : this.db.transaction(run);
  }

  /**
   * Accounts the lifecycle may act on: active ones of the given types not signed in since `usedBefore`
   * (the caller decides precisely), and those it disabled itself.
   */
  async lifecycleCandidates(userTypes: readonly UserType[], usedBefore: number, trx: Db = this.db): Promise<LifecycleAccount[]> {
    const rows = (await trx('accounts')
      .where((q) => q.where({ status: 'active' }).whereIn('user_type', [...userTypes])
        .where((u) => u.whereNull('last_login_at').orWhere('last_login_at', '<', usedBefore)))
      .orWhere({ status: 'disabled', disabled_reason: 'inactive' })
      .orderBy('created_at').orderBy('id')
      .select(COLUMNS)) as Row[];
    return rows.map(fromRow);
  }

  /**
   * Marks the warning as sent, only if it was not already and the account was not used meanwhile:
   * of two runs racing, one warns. Returns the previous value for `unmarkWarned`, or false.
   */
  async markWarned(id: string, lastUsedAt: number, trx: Db = this.db): Promise<{ previous: number | null } | false> {
    const row = (await trx('accounts').where({ id }).first('inactivity_warned_at')) as { inactivity_warned_at: number | string | null } | undefined;
    if (!row) return false;
    const previous = ms(row.inactivity_warned_at);
    if (previous !== null && previous >= lastUsedAt) return false;
    const n = await trx('accounts').where({ id, status: 'active' })
      .where((q) => (previous === null ? q.whereNull('inactivity_warned_at') : q.where({ inactivity_warned_at: previous })))
      .where((q) => q.whereNull('last_login_at').orWhere('last_login_at', '<=', lastUsedAt))
      .where((q) => q.whereNull('enabled_at').orWhere('enabled_at', '<=', lastUsedAt))
      .update({ inactivity_warned_at: this.clock.now() });
    return n === 1 ? { previous } : false;
  }

  /** The warning could not be sent: the next run tries again. */
  async unmarkWarned(id: string, previous: number | null, trx: Db = this.db): Promise<void> {
    await trx('accounts').where({ id }).update({ inactivity_warned_at: previous });
  }

  /** Disables for inactivity unless the account was used since `lastUsedAt`. */
  async disableInactive(id: string, lastUsedAt: number): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const used = await trx('accounts').where({ id }).where((q) => q.where('last_login_at', '>', lastUsedAt).orWhere('enabled_at', '>', lastUsedAt)).first('id');
      if (used) return false;
      return this.disable(id, 'inactive', trx);
    });
  }
}
