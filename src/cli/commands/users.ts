/**
 * `porta users …`: accounts created by an operator (add, list), and the helpdesk's tools for people who
 * are stuck (find, show, set-email, resend-activation, disable, enable, unlock, delete).
 */
import { checkUsername, emailKey, type Account, type UserType } from '../../accounts/account.js';
import { Lockout } from '../../accounts/lockout.js';
import { PASSWORD_MAX, PASSWORD_MIN, passwordProblems } from '../../accounts/password-policy.js';
import { checkEmail, checkPhone, formatPhone } from '../../accounts/validation.js';
import type { Clock } from '../../clock.js';
import { FederatedAccounts } from '../../federation/accounts.js';
import { AccessCodes } from '../../flows/access-code.js';
import { activationLink, emailReplacedNotice, emailVerification } from '../../flows/email-verify.js';
import { lastUseOf } from '../../flows/lifecycle.js';
import { translate } from '../../i18n/index.js';
import { mfaChangeNotice } from '../../mfa/notices.js';
import type { MethodKind } from '../../mfa/second-factors.js';
import { AccountAdmin } from '../../storage/account-admin.js';
import { DuplicateError } from '../../storage/accounts.js';
import { parse, parseWithArgs, required } from '../args.js';
import { UsageError, type Command } from '../context.js';
import { accountJson, findUser, loginOf, publicUrl, sendMail, USER_HELP, userRef } from '../helpdesk.js';
import { cell, isoTime, printJson, printTable } from '../output.js';
import { PASSWORD_ENV, readPassword } from '../password.js';

const NAME_MAX = 100;
const EMAIL_MAX = 254;
const CLI_USER_TYPES = ['internal', 'external'] as const satisfies readonly UserType[];
const LIST_LIMIT_MAX = 10000;

function checkedUsername(username: string): string {
  const problem = checkUsername(username);
  if (problem === 'username.invalid') throw new UsageError("--username must be 3-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
  if (problem === 'username.mixed_script') throw new UsageError('--username must use the letters of one script only (no Latin mixed with Cyrillic or Greek look-alikes)');
  if (problem === 'username.looks_like_person_code') throw new UsageError('--username must not be only digits (it would look like a person code)');
  return username.normalize('NFKC').trim();
}

function checkedEmail(email: string): string {
  const e = email.trim();
  if (e.length > EMAIL_MAX || !/^[^\s@]+@[^\s@]+$/.test(e)) throw new UsageError(`--email must be an email address with one @ and at most ${EMAIL_MAX} characters`);
  return e;
}

function checkedName(name: string, option: string): string {
  const n = name.normalize('NFKC').trim();
  if (!n || n.length > NAME_MAX || /\p{Cc}/u.test(n)) throw new UsageError(`--${option} must be 1-${NAME_MAX} printable characters`);
  return n;
}

function checkedBirthdate(value: string, clock: Clock): string {
  const date = new Date(`${value}T00:00:00Z`);
  // The round trip rejects dates like 2001-02-30.
  const real = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
  if (!real) throw new UsageError(`--birthdate must be a date as YYYY-MM-DD (got "${value}")`);
  if (date.getTime() > clock.now() || date.getUTCFullYear() < 1900) throw new UsageError(`--birthdate must be a past date after 1900 (got "${value}")`);
  return value;
}

/** Read as the registration form reads it (a number without a prefix belongs to PHONE_DEFAULT_REGION), stored as E.164. */
function checkedPhone(value: string, region: string): string {
  const checked = checkPhone(value, region);
  if (checked.error) throw new UsageError(`--phone must be a phone number: with its country code (+39 333 1234567), or without it for a number of ${region} (PHONE_DEFAULT_REGION) (got "${value}")`);
  return checked.value;
}

function checkedType(value: string | undefined): UserType {
  const type = value ?? 'internal';
  if (!(CLI_USER_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${CLI_USER_TYPES.join(', ')} (got "${type}")`);
  return type as UserType;
}

/** The same policy as self-service: length, not a common password, not the username or email. */
function checkedPassword(password: string, context: { username: string; email: string }): string {
  const problems = passwordProblems(password, context);
  if (problems.length) throw new UsageError(`password refused: ${problems.map((p) => translate('en', p)).join(' ')}`);
  return password;
}

const ADD_OPTIONS = {
  username: { type: 'string' },
  email: { type: 'string' },
  'given-name': { type: 'string' },
  'family-name': { type: 'string' },
  type: { type: 'string' },
  birthdate: { type: 'string' },
  phone: { type: 'string' },
} as const;

const PASSWORD_HINT = `the password is read from ${PASSWORD_ENV} or the first line of stdin, never from an argument`;

export const usersAdd: Command = {
  name: 'users add',
  summary: 'Create an active account (password from PORTA_PASSWORD or stdin)',
  help: `Usage: porta users add --username U --email E --given-name G --family-name F [options]

Creates an active account with a verified email and prints its person code.
The password (${PASSWORD_MIN}-${PASSWORD_MAX} characters, not a common one, not containing the username or
email) is read from ${PASSWORD_ENV}, else from the first line of stdin, else asked for on the terminal.
It is never taken from an argument.

Options:
  --username U          3-64 letters, digits, '.', '_' or '-' (not only digits)
  --email E             email address (marked verified)
  --given-name G        given name
  --family-name F       family name
  --type TYPE           internal (default) or external
  --birthdate DATE      YYYY-MM-DD
  --phone NUMBER        as on the registration form: +39 333 1234567, or 333 1234567 for a
                        number of PHONE_DEFAULT_REGION
  --json                print {"sub", "username", "person_code"} as JSON
  -h, --help            show this help

Example:
  printf '%s\\n' "$PASSWORD" | porta users add --username mrossi --email m.rossi@example.org \\
    --given-name Mario --family-name Rossi
`,
  async run(args, ctx) {
    const v = parse(this.name, args, ADD_OPTIONS, { unknown: { '--password': PASSWORD_HINT, '--pass': PASSWORD_HINT, '-p': PASSWORD_HINT } });
    const input = {
      username: checkedUsername(required(v.username, 'username')),
      email: checkedEmail(required(v.email, 'email')),
      givenName: checkedName(required(v['given-name'], 'given-name'), 'given-name'),
      familyName: checkedName(required(v['family-name'], 'family-name'), 'family-name'),
      userType: checkedType(v.type),
      birthdate: v.birthdate === undefined ? null : checkedBirthdate(v.birthdate, ctx.clock),
      phone: v.phone === undefined ? null : checkedPhone(v.phone, ctx.config().phoneDefaultRegion),
    };
    ctx.config(); // a bad configuration is reported before anyone types a password
    const password = checkedPassword(await readPassword(ctx.io), input);

    const { services: s } = await ctx.open();
    const passwordHash = await s.hasher.hash(password);
    let account: Account;
    try {
      account = await s.db.transaction(async (trx) => {
        // Checked first for a precise message; DuplicateError below stays the backstop for a race.
        if (await s.accounts.findByLogin(input.username, trx)) throw new UsageError('username already in use');
        if (await s.accounts.findByEmail(input.email, trx)) throw new UsageError('email already in use');
        const created = await s.accounts.create({ ...input, passwordHash, emailVerified: true, status: 'active' }, trx);
        await s.audit.record({ action: 'account.created', actor: 'cli', accountId: created.id }, trx);
        return created;
      });
    } catch (err) {
      if (err instanceof DuplicateError) throw new UsageError(`${err.field} already in use`);
      throw err;
    }

    if (v.json) printJson(ctx.io.stdout, { sub: account.id, username: account.username, person_code: account.personCode });
    else ctx.io.stdout.write(`created user ${account.username} with person code ${account.personCode}\n`);
  },
};

export const usersList: Command = {
  name: 'users list',
  summary: 'List accounts, newest first',
  help: `Usage: porta users list [--limit N] [--json]

Lists accounts, newest first: person code, username, name, email, type and status.

Options:
  --limit N    at most N accounts (default 100, at most ${LIST_LIMIT_MAX})
  --json       print a JSON array (with each account's subject id)
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { limit: { type: 'string' } });
    const limit = v.limit === undefined ? 100 : Number(v.limit);
    if (!/^\d+$/.test(v.limit ?? '100') || limit < 1 || limit > LIST_LIMIT_MAX) throw new UsageError(`--limit must be a whole number from 1 to ${LIST_LIMIT_MAX} (got "${v.limit}")`);
    const { services } = await ctx.open();
    const accounts = await services.accounts.list({ limit });
    if (v.json) {
      return printJson(ctx.io.stdout, accounts.map((a) => ({
        sub: a.id, person_code: a.personCode, username: a.username, given_name: a.givenName, family_name: a.familyName,
        email: a.email, user_type: a.userType, status: a.status, created_at: isoTime(a.createdAt),
      })));
    }
    if (accounts.length === 0) return void ctx.io.stdout.write('no users\n');
    printTable(ctx.io.stdout, ['PERSON CODE', 'USERNAME', 'NAME', 'EMAIL', 'TYPE', 'STATUS'],
      accounts.map((a) => [a.personCode, cell(a.username), `${a.givenName} ${a.familyName}`, cell(a.email), a.userType, a.status]));
  },
};

const USER_OPTION = { user: { type: 'string' } } as const;
const USER_ARG = 'USER';

function printList(out: { write(s: string): unknown }, accounts: Account[]) {
  printTable(out, ['PERSON CODE', 'USERNAME', 'NAME', 'EMAIL', 'TYPE', 'STATUS'],
    accounts.map((a) => [a.personCode, cell(a.username), `${a.givenName} ${a.familyName}`, cell(a.email), a.userType, a.status]));
}

export const usersFind: Command = {
  name: 'users find',
  summary: 'Find accounts by username, person code, email or name',
  help: `Usage: porta users find TEXT [--limit N] [--json]

Finds accounts whose person code, subject id, username or email address is TEXT, or whose username,
email address or name contains TEXT (any case). Exact matches come first.

Options:
  --query TEXT  the same as TEXT
  --limit N     at most N accounts (default 20, at most ${LIST_LIMIT_MAX})
  --json        print a JSON array
  -h, --help    show this help

Examples:
  porta users find 12345678
  porta users find "rossi"
  porta users find m.rossi@example.org
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, { query: { type: 'string' }, limit: { type: 'string' } }, 'TEXT');
    const text = (v.query ?? v.positionals[0] ?? '').trim();
    if (v.query !== undefined && v.positionals.length) throw new UsageError('give the text once: TEXT or --query TEXT');
    if (text.length < 2) throw new UsageError('give at least 2 characters to search for: porta users find TEXT');
    if (text.length > 254) throw new UsageError('the text to search for is longer than any username, email or name');
    const limit = v.limit === undefined ? 20 : Number(v.limit);
    if (!/^\d+$/.test(v.limit ?? '20') || limit < 1 || limit > LIST_LIMIT_MAX) throw new UsageError(`--limit must be a whole number from 1 to ${LIST_LIMIT_MAX} (got "${v.limit}")`);
    const { services: s } = await ctx.open();
    const ids = await new AccountAdmin(s.db, s.clock).search(text, limit);
    const accounts = (await Promise.all(ids.map((id) => s.accounts.findById(id)))).filter((a): a is Account => a !== undefined);
    // Looking people up is recorded too (not what was typed: the log holds no search terms).
    await s.audit.record({ action: 'accounts.searched', actor: 'cli', details: { matches: accounts.length } });
    if (v.json) return printJson(ctx.io.stdout, accounts.map(accountJson));
    if (accounts.length === 0) return void ctx.io.stdout.write(`no users match "${text}"\n`);
    printList(ctx.io.stdout, accounts);
  },
};

export const usersShow: Command = {
  name: 'users show',
  summary: 'Show one account: state, sign-ins, access codes, recent events',
  help: `Usage: porta users show USER [--json]

Shows an account as the helpdesk needs it: status (and why it is disabled), email and whether it is
confirmed, last sign-in, lock, open activation link, access to services that ask for an access code,
its second factors (name, kind, when added and last used; never a secret) and recovery codes left,
the institutions a federated account signs in with, and its latest audit events. ${USER_HELP}.

Options:
  --user USER  the same as USER
  --json       print a JSON object
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, USER_OPTION, USER_ARG);
    const ref = userRef(v, this.name);
    const { services: s } = await ctx.open();
    const a = await findUser(s, ref);
    const life = (await new AccountAdmin(s.db, s.clock).lifecycleOf(a.id))!;
    const codes = new AccessCodes(s);
    const access = await codes.grants(a.id);
    const openCodes = (await codes.list({ accountId: a.id })).filter((c) => c.state === 'open');
    const activation = a.status === 'pending' ? await s.flows.findOpen(a.id, s.config.registrationMode === 'assigned-code' ? 'set_password' : 'activation') : undefined;
    const events = await s.audit.list({ accountId: a.id, limit: 10 });
    const methods = await s.secondFactors.list(a.id);
    const recoveryCodesLeft = await s.secondFactors.recoveryCodes.left(a.id);
    const institutions = await new FederatedAccounts(s).identities(a.id);
    await s.audit.record({ action: 'account.viewed', actor: 'cli', accountId: a.id });
    const now = ctx.clock.now();
    const locked = a.lockedUntil !== null && a.lockedUntil > now ? a.lockedUntil : null;
    const info = {
      ...accountJson(a),
      disabled_reason: life.disabledReason,
      last_used_at: isoTime(lastUseOf(life)),
      inactivity_warned_at: isoTime(life.inactivityWarnedAt),
      failed_logins: a.failedLogins,
      locked_until: isoTime(locked),
      activation_link_expires_at: isoTime(activation?.expiresAt ?? null),
      access: access.map((g) => ({ client_id: g.clientId, accepted_at: isoTime(g.acceptedAt) })),
      open_access_codes: openCodes.map((c) => ({ client_id: c.clientId, expires_at: isoTime(c.expiresAt), attempts: c.attempts })),
      second_factors: methods.map((m) => ({ id: m.id, kind: m.kind, name: m.name, created_at: isoTime(m.createdAt), last_used_at: isoTime(m.lastUsedAt) })),
      recovery_codes_left: recoveryCodesLeft,
      institutions: institutions.map((i) => ({ idp: i.idp, subject: i.subject, created_at: isoTime(i.createdAt), last_login_at: isoTime(i.lastLoginAt) })),
      recent_events: events.map((e) => ({ at: isoTime(e.at), action: e.action, actor: e.actor, client_id: e.clientId, ip: e.ip, details: e.details })),
    };
    if (v.json) return printJson(ctx.io.stdout, info);

    const status = a.status === 'disabled'
      ? `disabled since ${isoTime(a.disabledAt) ?? '?'}${life.disabledReason === 'inactive' ? ' (unused account: deleted after the grace period unless enabled)' : life.disabledReason === 'helpdesk' ? ' (by the helpdesk)' : ''}`
      : a.status === 'pending' ? `pending: not activated${activation ? `; activation link valid until ${isoTime(activation.expiresAt)}` : '; no valid activation link'}` : 'active';
    const rows: [string, string][] = [
      ['sub', a.id], ['person code', a.personCode], ['username', cell(a.username)], ['name', `${a.givenName} ${a.familyName}`],
      ['email', a.email ? `${a.email} (${a.emailVerified ? 'confirmed' : 'not confirmed'})` : '-'], ['phone', a.phone ? formatPhone(a.phone) : '-'], ['birthdate', cell(a.birthdate)],
      ['type', a.userType], ['status', status], ['created', isoTime(a.createdAt)!], ['activated', cell(isoTime(a.activatedAt))],
      ['last sign-in', isoTime(a.lastLoginAt) ?? 'never'], ['password set', cell(isoTime(a.passwordChangedAt))],
      ['lock', locked ? `locked until ${isoTime(locked)} (porta users unlock lifts it)` : a.failedLogins ? `not locked; ${a.failedLogins} wrong passwords in a row` : 'not locked'],
    ];
    if (life.inactivityWarnedAt !== null && life.inactivityWarnedAt >= lastUseOf(life)) rows.push(['inactivity', `warned on ${isoTime(life.inactivityWarnedAt)}`]);
    rows.push(['access', access.length ? access.map((g) => `${g.clientId} (code accepted ${isoTime(g.acceptedAt)})`).join(', ') : '-']);
    rows.push(['two-factor', methods.length
      ? `${methods.map((m) => `${m.name} (${METHOD_KIND_NAMES[m.kind]}, added ${isoTime(m.createdAt)}, last used ${isoTime(m.lastUsedAt) ?? 'never'})`).join(', ')}; ${recoveryCodesLeft} recovery codes left`
      : 'none']);
    for (const i of institutions) rows.push(['institution', `${i.idp} (identifier ${i.subject}; first ${isoTime(i.createdAt)}, last ${isoTime(i.lastLoginAt)})`]);
    if (openCodes.length) rows.push(['access codes', openCodes.map((c) => `${c.clientId} (valid until ${isoTime(c.expiresAt)}, ${c.attempts} wrong)`).join(', ')]);
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, value] of rows) ctx.io.stdout.write(`${k.padEnd(width)}  ${value}\n`);
    ctx.io.stdout.write(events.length ? '\nRecent events (newest first):\n' : '\nNo events recorded.\n');
    if (events.length) printTable(ctx.io.stdout, ['AT', 'ACTION', 'ACTOR', 'CLIENT', 'IP'], events.map((e) => [isoTime(e.at)!, e.action, e.actor, cell(e.clientId), cell(e.ip)]));
  },
};

const METHOD_KIND_NAMES: Record<MethodKind, string> = { totp: 'authenticator app', webauthn: 'passkey' };
const REASON_MAX = 200;

export const usersResetTwoFactor: Command = {
  name: 'users reset-2fa',
  summary: 'Remove every second factor of someone who lost theirs, and mail them',
  help: `Usage: porta users reset-2fa USER [--reason TEXT] [--json]

For a person who lost their phone and their recovery codes: removes every second factor of the
account (authenticator apps, passkeys) and its recovery codes, records an audit event with the
reason, and mails the holder. A service that requires two-factor authentication has them set it up
again at their next sign-in, after the password and a code mailed to their address. ${USER_HELP}.
Check who is asking first: this takes away the protection of the second factor.

Options:
  --user USER    the same as USER
  --reason TEXT  why, for the audit log (at most ${REASON_MAX} characters), e.g. a ticket number
  --json         print {"sub", "removed", "mailed"} as JSON
  -h, --help     show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, { ...USER_OPTION, reason: { type: 'string' } }, USER_ARG);
    const ref = userRef(v, this.name);
    if (v.reason !== undefined && (v.reason.length > REASON_MAX || /\p{Cc}/u.test(v.reason))) throw new UsageError(`--reason must be at most ${REASON_MAX} printable characters`);
    const issuer = publicUrl(ctx);
    const { services: s } = await ctx.open();
    const account = await findUser(s, ref);
    const removed = await s.db.transaction(async (trx) => {
      const n = await s.secondFactors.removeAll(account.id, trx);
      // A set-up in progress (started before the reset) ends too.
      await s.flows.supersede(account.id, 'mfa_enrolment', trx);
      if (n) await s.audit.record({ action: 'mfa.reset', actor: 'cli', accountId: account.id, details: { methods: n, ...(v.reason ? { reason: v.reason } : {}) } }, trx);
      return n;
    });
    if (!removed) throw new UsageError(`${loginOf(account)} has no second factor: there is nothing to reset`);
    const mail = mfaChangeNotice(s, issuer, account, { kind: 'reset' });
    if (mail) await sendMail(s, mail, 'the second factors were removed, but the holder was not told');
    if (v.json) return printJson(ctx.io.stdout, { sub: account.id, removed, mailed: Boolean(mail) });
    ctx.io.stdout.write(`removed ${removed} second factor(s) and the recovery codes of ${loginOf(account)}${mail ? `; mailed ${account.email}` : '; no address to mail'}\n`);
  },
};

export const usersSetEmail: Command = {
  name: 'users set-email',
  summary: 'Set the address of someone who lost theirs, and mail a confirmation',
  help: `Usage: porta users set-email USER --email E [--json]

For a person who lost access to their address. ${USER_HELP}.
- Active (or disabled) account: the address is set, not confirmed, and a confirmation link (valid
  EMAIL_CHANGE_TTL_HOURS, once) is mailed to it; the previous address is told of the change.
- Pending registration: the address is corrected and a new activation link is mailed to it.
Giving the current, unconfirmed address again sends the confirmation again.

Options:
  --user USER  the same as USER
  --email E    the new address
  --json       print {"sub", "email", "mailed"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, { ...USER_OPTION, email: { type: 'string' } }, USER_ARG);
    const ref = userRef(v, this.name);
    const checked = checkEmail(required(v.email, 'email'));
    if (checked.error) throw new UsageError(`--email: ${translate('en', checked.error)}`);
    const email = checked.value!;
    const issuer = publicUrl(ctx);
    const { services: s } = await ctx.open();
    const account = await findUser(s, ref);
    const same = account.email !== null && emailKey(account.email) === emailKey(email);
    if (same && account.emailVerified) throw new UsageError(`${email} is already the confirmed address of ${loginOf(account)}`);
    const holder = same ? undefined : await s.accounts.findByEmail(email);
    if (holder) throw new UsageError(`${email} is already the address of another account (${loginOf(holder)})`);
    const previous = account.emailVerified ? account.email : null;
    if (!same) {
      try {
        await s.accounts.setEmail(account.id, email, { verified: false });
      } catch (err) {
        if (err instanceof DuplicateError) throw new UsageError(`${email} is already the address of another account`);
        throw err;
      }
    }
    const updated = (await s.accounts.findById(account.id))!;
    await s.audit.record({ action: 'account.email_set', actor: 'cli', accountId: account.id, details: { status: account.status, changed: !same } });
    const pending = account.status === 'pending';
    const link = pending ? await activationLink(s, updated, issuer) : await emailVerification(s, updated, issuer);
    await sendMail(s, link.mail, `the address was set, but ${pending ? 'the activation' : 'the confirmation'} link was not sent; run this command again`);
    if (previous && !same) {
      await s.mailer.send(emailReplacedNotice(s, updated, previous).mail)
        .catch((err: unknown) => ctx.io.stderr.write(`porta: note: the notice to the previous address was not sent (${(err as Error).message})\n`));
    }
    if (v.json) return printJson(ctx.io.stdout, { sub: account.id, email: updated.email, mailed: pending ? 'activation' : 'confirmation' });
    ctx.io.stdout.write(pending
      ? `set the address of ${loginOf(account)} (pending) to ${updated.email} and mailed a new activation link\n`
      : `set the address of ${loginOf(account)} to ${updated.email} (not confirmed yet) and mailed a confirmation link${previous && !same ? '; the previous address was told' : ''}\n`);
  },
};

export const usersResendActivation: Command = {
  name: 'users resend-activation',
  summary: 'Mail a pending registration a new activation link',
  help: `Usage: porta users resend-activation USER [--json]

Mails a new activation link (valid ACTIVATION_TTL_HOURS) to a registration that was never activated;
the previous link stops working. ${USER_HELP}. To send it to another address, use
"porta users set-email" instead.

Options:
  --user USER  the same as USER
  --json       print {"sub", "email"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, USER_OPTION, USER_ARG);
    const ref = userRef(v, this.name);
    const issuer = publicUrl(ctx);
    const { services: s } = await ctx.open();
    const account = await findUser(s, ref);
    if (account.status !== 'pending') throw new UsageError(`${loginOf(account)} is ${account.status}: there is nothing to activate`);
    if (!account.email) throw new UsageError(`${loginOf(account)} has no email address; set one with porta users set-email`);
    const link = await activationLink(s, account, issuer);
    await sendMail(s, link.mail, 'the activation link was not sent');
    await s.audit.record({ action: 'registration.resent', actor: 'cli', accountId: account.id });
    if (v.json) return printJson(ctx.io.stdout, { sub: account.id, email: account.email });
    ctx.io.stdout.write(`mailed a new activation link to ${account.email}, valid ${s.config.activationTtlHours} hours\n`);
  },
};

export const usersDisable: Command = {
  name: 'users disable',
  summary: 'Disable an account and end its sessions',
  help: `Usage: porta users disable USER [--note TEXT] [--json]

Disables an active account: it can no longer sign in (after the password it is told to contact the
helpdesk, HELPDESK_CONTACT), and its sessions and tokens end at once. Accounts disabled here are
never deleted by "porta purge". ${USER_HELP}.

Options:
  --user USER  the same as USER
  --note TEXT  why, for the audit log (at most 200 characters)
  --json       print {"sub", "status"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, { ...USER_OPTION, note: { type: 'string' } }, USER_ARG);
    const ref = userRef(v, this.name);
    if (v.note !== undefined && (v.note.length > 200 || /\p{Cc}/u.test(v.note))) throw new UsageError('--note must be at most 200 printable characters');
    const { services: s } = await ctx.open();
    const account = await findUser(s, ref);
    if (account.status === 'disabled') throw new UsageError(`${loginOf(account)} is already disabled`);
    if (account.status === 'pending') throw new UsageError(`${loginOf(account)} is not activated yet, so cannot sign in; porta users delete removes it`);
    if (!(await new AccountAdmin(s.db, s.clock).disable(account.id, 'helpdesk'))) throw new UsageError(`${loginOf(account)} changed meanwhile; look again with porta users show`);
    await s.audit.record({ action: 'account.disabled', actor: 'cli', accountId: account.id, details: { cause: 'helpdesk', ...(v.note ? { note: v.note } : {}) } });
    if (v.json) return printJson(ctx.io.stdout, { sub: account.id, status: 'disabled' });
    ctx.io.stdout.write(`disabled ${loginOf(account)}; their sessions and tokens have ended\n`);
  },
};

export const usersEnable: Command = {
  name: 'users enable',
  summary: 'Enable a disabled account again',
  help: `Usage: porta users enable USER [--json]

Enables a disabled account (by the helpdesk or for inactivity); it can sign in again, and the
inactivity period starts again from now. ${USER_HELP}.

Options:
  --user USER  the same as USER
  --json       print {"sub", "status"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, USER_OPTION, USER_ARG);
    const ref = userRef(v, this.name);
    const { services: s } = await ctx.open();
    const account = await findUser(s, ref);
    if (account.status !== 'disabled') throw new UsageError(`${loginOf(account)} is ${account.status}, not disabled`);
    if (!(await new AccountAdmin(s.db, s.clock).enable(account.id))) throw new UsageError(`${loginOf(account)} changed meanwhile; look again with porta users show`);
    await s.audit.record({ action: 'account.enabled', actor: 'cli', accountId: account.id });
    if (v.json) return printJson(ctx.io.stdout, { sub: account.id, status: 'active' });
    ctx.io.stdout.write(`enabled ${loginOf(account)}; they can sign in again\n`);
  },
};

export const usersUnlock: Command = {
  name: 'users unlock',
  summary: 'Lift the lock (and the delay) after wrong passwords',
  help: `Usage: porta users unlock USER [--json]

Lifts the temporary lock that wrong passwords put on an account (LOGIN_LOCKOUT_THRESHOLD) and
forgets the count of wrong passwords, so the person can sign in at once. ${USER_HELP}.

Options:
  --user USER  the same as USER
  --json       print {"sub", "was_locked", "failed_logins"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, USER_OPTION, USER_ARG);
    const ref = userRef(v, this.name);
    const { services: s } = await ctx.open();
    const account = await findUser(s, ref);
    const wasLocked = account.lockedUntil !== null && account.lockedUntil > ctx.clock.now();
    if (!wasLocked && account.failedLogins === 0) throw new UsageError(`${loginOf(account)} is not locked and has no wrong passwords counted`);
    await new Lockout(s).unlock(account.id);
    await s.audit.record({ action: 'account.unlocked', actor: 'cli', accountId: account.id, details: { was_locked: wasLocked, failed_logins: account.failedLogins } });
    if (v.json) return printJson(ctx.io.stdout, { sub: account.id, was_locked: wasLocked, failed_logins: account.failedLogins });
    ctx.io.stdout.write(wasLocked ? `unlocked ${loginOf(account)}; they can sign in now\n` : `${loginOf(account)} was not locked; forgot ${account.failedLogins} wrong passwords\n`);
  },
};

export const usersDelete: Command = {
  name: 'users delete',
  summary: 'Delete an account for good',
  help: `Usage: porta users delete USER --yes [--json]

Deletes the account with its sessions, tokens, consents and access codes; its username, person code
and address become free. This cannot be undone (the audit log keeps the account's events).
${USER_HELP}.

Options:
  --user USER  the same as USER
  --yes        confirm: without it nothing is deleted
  --json       print {"deleted": sub} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, { ...USER_OPTION, yes: { type: 'boolean' } }, USER_ARG);
    const ref = userRef(v, this.name);
    const { services: s } = await ctx.open();
    const account = await findUser(s, ref);
    if (!v.yes) throw new UsageError(`deleting ${loginOf(account)} (${account.givenName} ${account.familyName}) cannot be undone; add --yes to confirm`);
    const deleted = await s.db.transaction(async (trx) => {
      if (!(await new AccountAdmin(s.db, s.clock).remove(account.id, {}, trx))) return false;
      await s.audit.record({ action: 'account.deleted', actor: 'cli', accountId: account.id, details: { cause: 'helpdesk', person_code: account.personCode } }, trx);
      return true;
    });
    if (!deleted) throw new UsageError(`${loginOf(account)} was deleted meanwhile`);
    if (v.json) return printJson(ctx.io.stdout, { deleted: account.id });
    ctx.io.stdout.write(`deleted ${loginOf(account)} (person code ${account.personCode})\n`);
  },
};
