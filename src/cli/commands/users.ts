/** `porta users add|list`: accounts created by an operator, e.g. staff before self-service exists. */
import { checkUsername, type Account, type UserType } from '../../accounts/account.js';
import { PASSWORD_MAX, PASSWORD_MIN, passwordProblems } from '../../accounts/password-policy.js';
import type { Clock } from '../../clock.js';
import { translate } from '../../i18n/index.js';
import { DuplicateError } from '../../storage/accounts.js';
import { parse, required } from '../args.js';
import { UsageError, type Command } from '../context.js';
import { cell, isoTime, printJson, printTable } from '../output.js';
import { PASSWORD_ENV, readPassword } from '../password.js';

const NAME_MAX = 100;
const EMAIL_MAX = 254;
const CLI_USER_TYPES = ['internal', 'external'] as const satisfies readonly UserType[];
const LIST_LIMIT_MAX = 10000;

function checkedUsername(username: string): string {
  const problem = checkUsername(username);
  if (problem === 'username.invalid') throw new UsageError("--username must be 3-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
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

/** E.164, accepting the spaces and dashes people type: "+39 333 123-4567" → "+393331234567". */
function checkedPhone(value: string): string {
  const phone = value.replace(/[\s\-().]/g, '');
  if (!/^\+[1-9]\d{6,14}$/.test(phone)) throw new UsageError(`--phone must be an international number such as +39 333 1234567 (got "${value}")`);
  return phone;
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
  --phone NUMBER        international format, e.g. +39 333 1234567
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
      phone: v.phone === undefined ? null : checkedPhone(v.phone),
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
