/** `porta access-codes issue|list|revoke`: the one-time codes services with `require_access_code` ask for at a person's first sign-in. */
import { AccessCodes, formatAccessCode, type AccessCode } from '../../flows/access-code.js';
import { isLocale } from '../../i18n/index.js';
import { accessCodeMail } from '../../mail/access.js';
import { clientPolicy } from '../../policy/client-policy.js';
import type { Services } from '../../services.js';
import { parse, required } from '../args.js';
import { CliError, UsageError, type Command, type Context } from '../context.js';
import { findUser, loginOf, USER_HELP } from '../helpdesk.js';
import { cell, isoTime, printJson, printTable } from '../output.js';
import { findClient } from './clients.js';

async function clientRequiringCode(ctx: Context, s: Services, id: string) {
  const found = await findClient(ctx, s, id);
  if (!found) throw new UsageError(`no client with id "${id}" (see porta clients list)`);
  if (!clientPolicy(found.metadata).requireAccessCode) {
    throw new UsageError(`client "${id}" does not ask for access codes (porta clients update --id ${id} --require-access-code, or "require_access_code": true in the clients file)`);
  }
  return found.metadata;
}

const codeJson = (c: AccessCode, login: string | null) => ({
  user: login, sub: c.accountId, client_id: c.clientId, state: c.state, attempts: c.attempts,
  issued_at: isoTime(c.createdAt), expires_at: isoTime(c.expiresAt), ended_at: isoTime(c.endedAt),
});

export const accessCodesIssue: Command = {
  name: 'access-codes issue',
  summary: 'Email a person a one-time access code for a service',
  help: `Usage: porta access-codes issue --user USER --client ID [--json]

Issues a one-time access code for a service that asks for one at the first sign-in, and emails it to
the account's address in the account's language. The code is never printed or stored: only its hash
is kept. It is valid ACCESS_CODE_TTL_DAYS days and stops working after ACCESS_CODE_MAX_ATTEMPTS wrong
entries; a new code replaces the person's previous one for that service. ${USER_HELP}.

Options:
  --user USER  the account
  --client ID  the service's client_id
  --json       print {"sub", "client_id", "email", "expires_at"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { user: { type: 'string' }, client: { type: 'string' } });
    const ref = required(v.user, 'user');
    const clientId = required(v.client, 'client');
    const { services: s } = await ctx.open();
    const metadata = await clientRequiringCode(ctx, s, clientId);
    const account = await findUser(s, ref);
    if (account.status !== 'active') throw new UsageError(`${loginOf(account)} is ${account.status}: only an active account can sign in with a code`);
    if (!account.email) throw new UsageError(`${loginOf(account)} has no email address to send the code to; set one with porta users set-email`);
    const codes = new AccessCodes(s);
    if (await codes.hasAccess(account.id, clientId)) {
      throw new UsageError(`${loginOf(account)} already entered a code for ${clientId} and signs in without one; to ask again, first run porta access-codes revoke`);
    }
    const { code, flow } = await codes.issue(account, clientId);
    try {
      await s.mailer.send(accessCodeMail({
        locale: isLocale(account.locale) ? account.locale : s.config.defaultLocale, to: account.email, givenName: account.givenName,
        clientName: String(metadata.client_name ?? clientId), code: formatAccessCode(code), expiresAt: flow.expiresAt, timeZone: s.config.timeZone,
      }));
    } catch (err) {
      // A code nobody received must not stay valid.
      await codes.revoke(account.id, clientId);
      throw new CliError(`no code issued: the mail to ${account.email} could not be sent (${(err as Error).message})`);
    }
    await s.audit.record({ action: 'access_code.issued', actor: 'cli', accountId: account.id, clientId, details: { expires_at: flow.expiresAt } });
    if (v.json) return printJson(ctx.io.stdout, { sub: account.id, client_id: clientId, email: account.email, expires_at: isoTime(flow.expiresAt) });
    ctx.io.stdout.write(`emailed an access code for ${clientId} to ${account.email} (${loginOf(account)}); valid until ${isoTime(flow.expiresAt)}\n`);
  },
};

export const accessCodesList: Command = {
  name: 'access-codes list',
  summary: 'List access codes and their state',
  help: `Usage: porta access-codes list [--user USER] [--client ID] [--json]

Lists issued access codes, newest first, with their state: open (waiting to be entered), accepted,
expired, locked (too many wrong entries), revoked, or superseded (a newer code was issued). Ended codes
are kept for 30 days. ${USER_HELP}.

Options:
  --user USER  only this account's codes
  --client ID  only codes for this service
  --json       print a JSON array
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { user: { type: 'string' }, client: { type: 'string' } });
    const { services: s } = await ctx.open();
    const account = v.user !== undefined ? await findUser(s, v.user) : undefined;
    const codes = await new AccessCodes(s).list({ accountId: account?.id, clientId: v.client });
    await s.audit.record({ action: 'access_codes.listed', actor: 'cli', accountId: account?.id, clientId: v.client });
    const logins = new Map<string, string>();
    for (const id of new Set(codes.map((c) => c.accountId).filter((id): id is string => id !== null))) {
      const a = await s.accounts.findById(id);
      if (a) logins.set(id, loginOf(a));
    }
    const rows = codes.map((c) => codeJson(c, c.accountId ? logins.get(c.accountId) ?? null : null));
    if (v.json) return printJson(ctx.io.stdout, rows);
    if (rows.length === 0) return void ctx.io.stdout.write('no access codes\n');
    printTable(ctx.io.stdout, ['USER', 'CLIENT', 'STATE', 'WRONG', 'ISSUED', 'EXPIRES', 'ENDED'],
      rows.map((r) => [cell(r.user), r.client_id, r.state, String(r.attempts), r.issued_at!, r.expires_at!, cell(r.ended_at)]));
  },
};

export const accessCodesRevoke: Command = {
  name: 'access-codes revoke',
  summary: "Withdraw a person's access code (and access) for a service",
  help: `Usage: porta access-codes revoke --user USER --client ID [--json]

Withdraws the person's open access code for the service, and forgets that they entered one: their next
sign-in to it asks for a new code. The service's refresh and access tokens for the person stop working.
${USER_HELP}.

Options:
  --user USER  the account
  --client ID  the service's client_id
  --json       print {"sub", "client_id", "codes_revoked", "access_removed", "grants_revoked"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { user: { type: 'string' }, client: { type: 'string' } });
    const ref = required(v.user, 'user');
    const clientId = required(v.client, 'client');
    const { services: s } = await ctx.open();
    const account = await findUser(s, ref);
    const { codes, access, grants } = await new AccessCodes(s).revoke(account.id, clientId);
    if (!codes && !access && !grants) throw new UsageError(`${loginOf(account)} has neither an open access code nor access by code for ${clientId}`);
    await s.audit.record({ action: 'access_code.revoked', actor: 'cli', accountId: account.id, clientId, details: { codes, access, grants } });
    if (v.json) return printJson(ctx.io.stdout, { sub: account.id, client_id: clientId, codes_revoked: codes, access_removed: access, grants_revoked: grants });
    const done = [...(codes ? ['withdrew the open access code'] : []), ...(access ? ['removed the access gained with an earlier code'] : []),
      ...(grants ? ['signed the person out of the service (its refresh and access tokens no longer work)'] : [])];
    ctx.io.stdout.write(`${done.join(' and ')} of ${loginOf(account)} for ${clientId}; the next sign-in asks for a new code\n`);
  },
};
