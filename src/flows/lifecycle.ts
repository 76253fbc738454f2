/**
 * Cancelling unused accounts, no HTTP in here. Run by `porta purge` (daily, from cron): plan(now) says
 * what would happen and why, apply(plan) does it. The server's sweep does not run it, so cancelling
 * stays an operator's decision with a dry run (pending registrations are a different matter: the
 * server's sweep deletes them through Registration.sweep).
 *
 * "Last use" is the latest of: the last sign-in, the activation (or creation), and a re-enabling by the
 * helpdesk. An active account of INACTIVE_USER_TYPES whose last use is older than the period is
 * inactive — after INACTIVE_AFTER_DAYS (INACTIVE_RULE=days), or on 1 January of the second year after
 * the year of last use (INACTIVE_RULE=calendar-year, the portal's "registrations completed up to 31
 * December and not used in the following year are no longer valid"). Then:
 *   warn     INACTIVE_WARNING_DAYS before that date, by email (recorded, so never sent twice);
 *   disable  on that date, but never sooner than INACTIVE_WARNING_DAYS after the warning (a late run
 *            still gives the full notice); sessions and tokens end; sign-in says "disabled, contact …";
 *   delete   INACTIVE_GRACE_DAYS after it was disabled for inactivity (the helpdesk can re-enable it
 *            until then). Accounts disabled by the helpdesk are never deleted by the lifecycle.
 * Signing in (or being re-enabled) at any point starts the clock again.
 */
import type { Config } from '../../config/schema.js';
import { isLocale } from '../i18n/index.js';
import { inactivityWarningMail } from '../mail/access.js';
import type { Services } from '../services.js';
import { AccountAdmin, type LifecycleAccount } from '../storage/account-admin.js';

const DAY = 86400_000;

export type LifecycleAction = 'warn' | 'disable' | 'delete';

export interface PlannedStep {
  account: LifecycleAccount;
  action: LifecycleAction;
  /** Why, in words for the operator. */
  reason: string;
  lastUsedAt: number;
  /** warn: the date the account will be disabled on. */
  disableOn?: number;
}

export interface Applied {
  warned: number;
  disabled: number;
  deleted: number;
  /** Steps that did not happen: the account changed meanwhile, or the warning mail could not be sent. */
  skipped: { account: LifecycleAccount; action: LifecycleAction; why: string; failed: boolean }[];
}

type LifecycleConfig = Pick<Config, 'inactiveAfterDays' | 'inactiveRule' | 'inactiveUserTypes' | 'inactiveWarningDays' | 'inactiveGraceDays' | 'timeZone'>;

export const lastUseOf = (a: Pick<LifecycleAccount, 'lastLoginAt' | 'activatedAt' | 'createdAt' | 'enabledAt'>) =>
  Math.max(a.lastLoginAt ?? 0, a.activatedAt ?? a.createdAt, a.enabledAt ?? 0);

/** Offset of the time zone from UTC at `ms`, in milliseconds (positive east of Greenwich). */
function zoneOffset(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(ms).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

export const yearIn = (ms: number, timeZone: string) => Number(new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' }).format(ms));

/** Midnight at the start of 1 January of `year` in the time zone. */
export function startOfYear(year: number, timeZone: string): number {
  const utc = Date.UTC(year, 0, 1);
  const first = utc - zoneOffset(utc, timeZone);
  return utc - zoneOffset(first, timeZone);
}

/** When an account last used at `lastUsedAt` becomes inactive. */
export function inactiveFrom(lastUsedAt: number, config: LifecycleConfig): number {
  if (config.inactiveRule === 'calendar-year') return startOfYear(yearIn(lastUsedAt, config.timeZone) + 2, config.timeZone);
  return lastUsedAt + config.inactiveAfterDays * DAY;
}

/** A day as YYYY-MM-DD in TIME_ZONE, as the mails and pages give dates (UTC would be a day off every night). */
const dayIn = (timeZone: string) => (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);

export class Lifecycle {
  private readonly admin: AccountAdmin;

  constructor(private readonly s: Services) {
    this.admin = new AccountAdmin(s.db, s.clock);
  }

  get enabled(): boolean { return this.s.config.inactiveAfterDays > 0; }

  async plan(now = this.s.clock.now()): Promise<PlannedStep[]> {
    const config = this.s.config;
    if (!this.enabled) return [];
    const day = dayIn(config.timeZone);
    const warning = config.inactiveWarningDays * DAY;
    // No account last used after this can be due for anything yet (a calendar year is at least 365 days).
    const shortest = (config.inactiveRule === 'calendar-year' ? 365 : config.inactiveAfterDays) * DAY;
    const candidates = await this.admin.lifecycleCandidates(config.inactiveUserTypes, now - Math.max(0, shortest - warning) + DAY);

    const plan: PlannedStep[] = [];
    for (const account of candidates) {
      const lastUsedAt = lastUseOf(account);
      if (account.status === 'disabled') {
        const disabledAt = account.disabledAt ?? now;
        if (now >= disabledAt + config.inactiveGraceDays * DAY) {
          plan.push({ account, action: 'delete', lastUsedAt, reason: `disabled for inactivity on ${day(disabledAt)}; the ${config.inactiveGraceDays}-day grace period is over` });
        }
        continue;
      }
      if (!config.inactiveUserTypes.includes(account.userType)) continue;
      const deadline = inactiveFrom(lastUsedAt, config);
      const warnedAt = account.inactivityWarnedAt !== null && account.inactivityWarnedAt >= lastUsedAt ? account.inactivityWarnedAt : null;
      const unused = `not used since ${day(lastUsedAt)}`;
      if (warning > 0 && account.email) {
        if (warnedAt === null) {
          if (now >= deadline - warning) {
            const disableOn = Math.max(deadline, now + warning);
            plan.push({ account, action: 'warn', lastUsedAt, disableOn, reason: `${unused}; to be disabled on ${day(disableOn)}` });
          }
        } else if (now >= Math.max(deadline, warnedAt + warning)) {
          plan.push({ account, action: 'disable', lastUsedAt, reason: `${unused}; warned on ${day(warnedAt)}` });
        }
      } else if (now >= deadline) {
        plan.push({ account, action: 'disable', lastUsedAt, reason: `${unused}${warning > 0 ? '; no email address to warn' : ''}` });
      }
    }
    return plan;
  }

  /** Carries out a plan, step by step, each guarded against the account having changed since. */
  async apply(plan: PlannedStep[], actor: string): Promise<Applied> {
    const { s } = this;
    const out: Applied = { warned: 0, disabled: 0, deleted: 0, skipped: [] };
    const skip = (step: PlannedStep, why: string, failed = false) => out.skipped.push({ account: step.account, action: step.action, why, failed });
    for (const step of plan) {
      const { account } = step;
      const audit = { actor, accountId: account.id, details: { reason: step.reason } };
      if (step.action === 'warn') {
        const marked = await this.admin.markWarned(account.id, step.lastUsedAt);
        if (!marked) { skip(step, 'already warned or used meanwhile'); continue; }
        try {
          await s.mailer.send(inactivityWarningMail({
            locale: isLocale(account.locale) ? account.locale : s.config.defaultLocale, to: account.email!, givenName: account.givenName,
            login: account.username ?? account.personCode, lastUsedAt: step.lastUsedAt, disableOn: step.disableOn!,
            graceDays: s.config.inactiveGraceDays, timeZone: s.config.timeZone, helpdesk: s.config.helpdeskContact,
          }));
        } catch (err) {
          await this.admin.unmarkWarned(account.id, marked.previous);
          s.logger.error({ err, accountId: account.id }, 'inactivity warning not sent');
          skip(step, `warning mail not sent (${(err as Error).message}); the next run tries again`, true);
          continue;
        }
        await s.audit.record({ action: 'account.inactivity_warned', ...audit });
        out.warned++;
      } else if (step.action === 'disable') {
        if (!(await this.admin.disableInactive(account.id, step.lastUsedAt))) { skip(step, 'used or changed meanwhile'); continue; }
        await s.audit.record({ action: 'account.disabled', ...audit, details: { ...audit.details, cause: 'inactive' } });
        out.disabled++;
      } else {
        if (!(await this.admin.remove(account.id, { status: 'disabled', disabled_reason: 'inactive' }))) { skip(step, 're-enabled or changed meanwhile'); continue; }
        await s.audit.record({ action: 'account.deleted', ...audit, details: { ...audit.details, cause: 'inactive' } });
        out.deleted++;
      }
    }
    return out;
  }
}

