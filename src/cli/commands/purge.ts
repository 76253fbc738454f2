/** `porta purge [--dry-run]`: cancels unused accounts (src/flows/lifecycle.ts). Meant to run daily from cron. */
import { Lifecycle, type PlannedStep } from '../../flows/lifecycle.js';
import { parse } from '../args.js';
import { CliError, type Command } from '../context.js';
import { loginOf } from '../helpdesk.js';
import { cell, isoTime, printJson, printTable } from '../output.js';

const stepJson = (p: PlannedStep) => ({
  action: p.action, sub: p.account.id, user: loginOf(p.account), email: p.account.email, user_type: p.account.userType,
  last_used_at: isoTime(p.lastUsedAt), reason: p.reason,
});

export const purgeCommand: Command = {
  name: 'purge',
  summary: 'Cancel unused accounts: warn, disable, delete (--dry-run lists)',
  help: `Usage: porta purge [--dry-run] [--json]

Cancels accounts that are not used, in three steps, each on its own run when it is due:
  warn     INACTIVE_WARNING_DAYS before the account becomes inactive, an email to its holder;
  disable  when it has become inactive (never sooner than INACTIVE_WARNING_DAYS after the warning):
           sessions end, and sign-in says the account is disabled and how to reach the helpdesk;
  delete   INACTIVE_GRACE_DAYS after it was disabled for inactivity ("porta users enable" saves it).
An account is inactive when it has not been used (signed in, activated, or re-enabled) for
INACTIVE_AFTER_DAYS (INACTIVE_RULE=days), or since the end of the year after the year of its last use
(INACTIVE_RULE=calendar-year). Only INACTIVE_USER_TYPES are concerned; INACTIVE_AFTER_DAYS=0 turns it
off. Accounts disabled by the helpdesk are never deleted here. Registrations never activated are
deleted by the server itself after ACTIVATION_TTL_HOURS.

Run it once a day, e.g. from cron:  15 3 * * *  porta purge

Options:
  --dry-run    list what would be done and why; change nothing, send nothing
  --json       print {"dry_run", "planned": [...], "warned", "disabled", "deleted", "skipped"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { 'dry-run': { type: 'boolean' } });
    const { services: s } = await ctx.open();
    const lifecycle = new Lifecycle(s);
    const plan = await lifecycle.plan(ctx.clock.now());
    const out = ctx.io.stdout;
    if (v['dry-run']) {
      if (v.json) return printJson(out, { dry_run: true, enabled: lifecycle.enabled, planned: plan.map(stepJson) });
      if (!lifecycle.enabled) return void out.write('cancelling unused accounts is off (INACTIVE_AFTER_DAYS=0): nothing would be done\n');
      if (plan.length === 0) return void out.write('nothing to do\n');
      printTable(out, ['ACTION', 'USER', 'EMAIL', 'TYPE', 'REASON'], plan.map((p) => [p.action, loginOf(p.account), cell(p.account.email), p.account.userType, p.reason]));
      return void out.write(`dry run: ${counts(plan)} would be done; nothing was changed\n`);
    }
    const applied = await lifecycle.apply(plan, 'cli');
    await s.audit.record({ action: 'purge.run', actor: 'cli', details: { warned: applied.warned, disabled: applied.disabled, deleted: applied.deleted, skipped: applied.skipped.length } });
    if (v.json) {
      return printJson(out, {
        dry_run: false, enabled: lifecycle.enabled, planned: plan.map(stepJson), warned: applied.warned, disabled: applied.disabled, deleted: applied.deleted,
        skipped: applied.skipped.map((k) => ({ action: k.action, sub: k.account.id, user: loginOf(k.account), why: k.why, failed: k.failed })),
      });
    }
    if (!lifecycle.enabled) return void out.write('cancelling unused accounts is off (INACTIVE_AFTER_DAYS=0)\n');
    for (const k of applied.skipped) ctx.io.stderr.write(`porta: skipped ${k.action} of ${loginOf(k.account)}: ${k.why}\n`);
    out.write(`warned ${applied.warned}, disabled ${applied.disabled}, deleted ${applied.deleted}${applied.skipped.length ? `, skipped ${applied.skipped.length}` : ''}\n`);
    // Cron mails the operator when a run fails: a warning that could not be sent is such a case.
    const failed = applied.skipped.filter((k) => k.failed).length;
    if (failed) throw new CliError(`${failed} warning mail${failed === 1 ? '' : 's'} could not be sent; the next run tries again`);
  },
};

function counts(plan: PlannedStep[]): string {
  const n = (a: string) => plan.filter((p) => p.action === a).length;
  return `${n('warn')} warnings, ${n('disable')} disablings, ${n('delete')} deletions`;
}
