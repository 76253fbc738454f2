/** `porta audit`: the audit log, for the helpdesk's "what happened to this account?". */
import { parse } from '../args.js';
import { UsageError, type Command } from '../context.js';
import { findUser, USER_HELP } from '../helpdesk.js';
import { cell, isoTime, printJson, printTable } from '../output.js';

const LIMIT_MAX = 10000;
const UNITS: Record<string, number> = { m: 60_000, h: 3600_000, d: 86400_000 };

/** `2025-03-01`, `2025-03-01T08:00:00Z`, or a span back from now: `30m`, `12h`, `7d`. */
export function parseSince(value: string, now: number): number {
  const relative = /^(\d{1,6})([mhd])$/.exec(value);
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(`--since must be a date (2025-03-01), a date and time (2025-03-01T08:00:00Z) or a span such as 7d, 12h or 30m (got "${value}")`);
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Show the audit log, for one user or since a time',
  help: `Usage: porta audit [--user USER] [--since WHEN] [--limit N] [--json]

Shows audit events, newest first: sign-ins and failures, registrations, changes by the helpdesk,
access codes, lifecycle steps. ${USER_HELP} (a subject id also finds a deleted account's events).

Options:
  --user USER    only this account's events
  --since WHEN   only events since WHEN: a date (2025-03-01, UTC), a date and time
                 (2025-03-01T08:00:00Z), or a span back from now (30m, 12h, 7d)
  --limit N      at most N events (default 100, at most ${LIMIT_MAX})
  --json         print a JSON array
  -h, --help     show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { user: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } });
    const since = v.since === undefined ? undefined : parseSince(v.since.trim(), ctx.clock.now());
    const limit = v.limit === undefined ? 100 : Number(v.limit);
    if (!/^\d+$/.test(v.limit ?? '100') || limit < 1 || limit > LIMIT_MAX) throw new UsageError(`--limit must be a whole number from 1 to ${LIMIT_MAX} (got "${v.limit}")`);
    if (v.user !== undefined && !v.user.trim()) throw new UsageError('--user needs a value');
    const { services: s } = await ctx.open();
    let accountId: string | undefined;
    if (v.user !== undefined) {
      try {
        accountId = (await findUser(s, v.user)).id;
      } catch (err) {
        // A deleted account is known to the log by its subject id only.
        const known = /^[\w-]{16,43}$/.test(v.user.trim()) && (await s.audit.list({ accountId: v.user.trim(), limit: 1 })).length > 0;
        if (!known) throw err;
        accountId = v.user.trim();
      }
    }
    const events = await s.audit.list({ accountId, since, limit });
    await s.audit.record({ action: 'audit.read', actor: 'cli', accountId, details: { events: events.length } });
    const rows = events.map((e) => ({ at: isoTime(e.at), action: e.action, actor: e.actor, sub: e.accountId, client_id: e.clientId, ip: e.ip, details: e.details }));
    if (v.json) return printJson(ctx.io.stdout, rows);
    if (rows.length === 0) return void ctx.io.stdout.write('no events\n');
    printTable(ctx.io.stdout, ['AT', 'ACTION', 'ACTOR', 'SUB', 'CLIENT', 'IP', 'DETAILS'],
      rows.map((r) => [r.at!, r.action, r.actor, cell(r.sub), cell(r.client_id), cell(r.ip), r.details ? JSON.stringify(r.details) : '-']));
  },
};
