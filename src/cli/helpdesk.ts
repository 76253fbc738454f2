/** What the helpdesk commands share: naming a user, the public URL for links in mails, sending a mail. */
import type { Account } from '../accounts/account.js';
import type { Mail } from '../mail/mailer.js';
import type { Services } from '../services.js';
import { CliError, UsageError, type Context } from './context.js';
import { exportRecord } from '../storage/account-transfer.js';

export const USER_HELP = 'USER is a username, person code, email address or subject id';

/** The one user named by `--user U` or a bare `U`. */
export function userRef(v: { user?: string; positionals: string[] }, command: string): string {
  const given = [...(v.user !== undefined ? [v.user] : []), ...v.positionals];
  if (given.length === 0 || !given[0]) throw new UsageError(`name the user: porta ${command} USER (or --user USER)`);
  if (given.length > 1) throw new UsageError('name one user: either USER or --user USER, not both');
  return given[0];
}

/** The account a helpdesk operator means: by username or person code, email address, or subject id. */
export async function findUser(s: Services, ref: string): Promise<Account> {
  const value = ref.trim();
  const account = await s.accounts.findByLogin(value)
    ?? (value.includes('@') ? await s.accounts.findByEmail(value) : undefined)
    ?? (/^[\w-]{1,43}$/.test(value) ? await s.accounts.findById(value) : undefined);
  if (!account) throw new UsageError(`no user "${value}" (${USER_HELP})`);
  return account;
}

export const loginOf = (a: Pick<Account, 'username' | 'personCode'>) => a.username ?? a.personCode;

/** Porta's public URL, for links in mails: ISSUER (required in production), else the development default. */
export function publicUrl(ctx: Context): string {
  const config = ctx.config();
  if (config.issuer) return config.issuer;
  if (config.nodeEnv === 'production') throw new UsageError('ISSUER must be set: the mail carries a link to Porta');
  return `http://localhost:${config.port}`;
}

export async function sendMail(s: Services, mail: Mail, what: string): Promise<void> {
  try {
    await s.mailer.send(mail);
  } catch (err) {
    throw new CliError(`${what}: the mail could not be sent (${(err as Error).message})`);
  }
}

/** An account as --json shows it: the export's shape, never its password hash. */
export const accountJson = (a: Account) => exportRecord(a, false);
