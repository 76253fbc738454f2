/** `porta users import|export`: accounts as JSON Lines (the format is in src/storage/account-transfer.ts). */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { AccountTransfer, exportRecord } from '../../storage/account-transfer.js';
import { parseWithArgs } from '../args.js';
import { CliError, UsageError, type Command } from '../context.js';
import { printJson } from '../output.js';

const PROGRESS_EVERY = 1000;
/** Line errors printed one by one; past this only the count (a wrong file would flood the terminal). */
const ERRORS_SHOWN = 100;

const FORMAT = `Each line is one JSON object with the fields of "porta users show --json": sub, person_code,
username, given_name, family_name (required), email, email_verified, phone (as on the registration
form: +39 333 1234567, or without the country code for PHONE_DEFAULT_REGION), birthdate, user_type
(internal, external, federated), status (pending, active, disabled), locale, created_at,
activated_at, last_login_at, password_changed_at, disabled_at (ISO 8601 or epoch milliseconds),
and optionally password_hash: argon2id, argon2i, bcrypt ($2a$, $2b$, $2y$) or PBKDF2-SHA256 in the
$pbkdf2-sha256$ format. A bcrypt, PBKDF2 or argon2i password is checked at its first sign-in and
stored again as argon2id.`;

export const usersImport: Command = {
  name: 'users import',
  summary: 'Create or update accounts from a JSON Lines file',
  help: `Usage: porta users import FILE [--json]

Reads accounts from FILE ("-" for standard input), one per line. A line that names an existing
account by sub, person code, username or email updates it, so running the same import again is
safe; a new account keeps the given sub and person code or gets fresh ones. A bad line is reported
with its number and skipped; the others are imported. Progress goes to standard error.

${FORMAT}

Exit code 2 when any line was skipped.

Options:
  --json       print {"created", "updated", "failed": [{"line", "message"}]} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, {}, 'FILE');
    const file = v.positionals[0];
    if (!file) throw new UsageError('porta users import needs the FILE to read ("-" for standard input)');
    if (file !== '-' && !existsSync(resolve(file))) throw new UsageError(`${resolve(file)} does not exist`);
    const input = file === '-' ? ctx.io.stdin : createReadStream(resolve(file), 'utf8');
    if (!input) throw new UsageError('no standard input to read from');
    const { services: s } = await ctx.open();
    const transfer = new AccountTransfer(s.db, s.clock, (id) => s.accounts.findById(id), s.config.phoneDefaultRegion);
    const lines = createInterface({ input, crlfDelay: Infinity });
    const result = await transfer.import(lines, (n, r) => {
      if (n % PROGRESS_EVERY === 0) ctx.io.stderr.write(`${n} lines read: ${r.created} created, ${r.updated} updated, ${r.failed.length} skipped\n`);
    });
    await s.audit.record({ action: 'accounts.imported', actor: 'cli', details: { created: result.created, updated: result.updated, failed: result.failed.length } });
    if (v.json) printJson(ctx.io.stdout, result);
    else {
      for (const p of result.failed.slice(0, ERRORS_SHOWN)) ctx.io.stdout.write(`line ${p.line}: ${p.message}\n`);
      if (result.failed.length > ERRORS_SHOWN) ctx.io.stdout.write(`… and ${result.failed.length - ERRORS_SHOWN} more skipped lines (--json lists them all)\n`);
      ctx.io.stdout.write(`${result.created} created, ${result.updated} updated, ${result.failed.length} skipped\n`);
    }
    if (result.failed.length) throw new CliError(`${result.failed.length} of the lines were skipped: fix them and import again (the others are in)`, 2);
  },
};

export const usersExport: Command = {
  name: 'users export',
  summary: 'Write every account as JSON Lines',
  help: `Usage: porta users export [FILE] [--with-password-hashes]

Writes every account, one JSON object per line, to FILE (which must not exist yet) or to standard
output. The file can be read back with "porta users import". Password hashes are left out unless
--with-password-hashes is given: keep such a file as secret as the database.

${FORMAT}

Options:
  --with-password-hashes  include each account's password_hash
  -h, --help              show this help
`,
  async run(args, ctx) {
    const v = parseWithArgs(this.name, args, { 'with-password-hashes': { type: 'boolean' } }, 'FILE');
    const file = v.positionals[0];
    if (file && existsSync(resolve(file))) throw new UsageError(`${resolve(file)} already exists; choose a new file name`);
    const { services: s } = await ctx.open();
    const withHashes = v['with-password-hashes'] === true;
    const transfer = new AccountTransfer(s.db, s.clock, (id) => s.accounts.findById(id), s.config.phoneDefaultRegion);
    // 0600: the file holds personal data, and hashes when asked for.
    const stream = file ? createWriteStream(resolve(file), { flags: 'wx', mode: 0o600 }) : undefined;
    let count = 0;
    for await (const account of transfer.export()) {
      const line = `${JSON.stringify(exportRecord(account, withHashes))}\n`;
      if (!stream) ctx.io.stdout.write(line);
      else if (!stream.write(line)) await once(stream, 'drain');
      count++;
    }
    if (stream) await new Promise<void>((ok, fail) => stream.end((err?: Error | null) => (err ? fail(err) : ok())));
    await s.audit.record({ action: 'accounts.exported', actor: 'cli', details: { accounts: count, password_hashes: withHashes } });
    ctx.io.stderr.write(`${count} accounts exported${withHashes ? ' with their password hashes' : ''}${file ? ` to ${resolve(file)}` : ''}\n`);
  },
};
