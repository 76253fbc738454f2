/**
 * Accounts in and out as JSON Lines (`porta users import|export`): one account per line, in the shape
 * `porta users show --json` prints, plus `password_hash` when asked for. Import is idempotent — a line
 * that names an existing account (by `sub`, person code, username or email) updates it — and a bad line
 * is reported with its number while the rest go on. Imported hashes stay as they are until the first
 * sign-in rehashes them to argon2id (src/accounts/passwords.ts).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ACCOUNT_STATUSES, checkUsername, emailKey, usernameKey, USER_TYPES, type Account } from '../accounts/account.js';
import { hashKind } from '../accounts/passwords.js';
import { generatePersonCode, isPersonCode } from '../accounts/person-code.js';
import { checkEmail, checkPhone } from '../accounts/validation.js';
import type { Clock } from '../clock.js';
import type { Db } from './db.js';

/** A longer line is refused before JSON.parse: no account needs more than a few hundred bytes. */
export const IMPORT_LINE_MAX = 16 * 1024;
const EXPORT_PAGE = 500;

const time = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));
const text = (max: number) => z.string().trim().min(1).max(max).refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters');

/** The record schema; `region` reads phone numbers without a prefix, as the registration form does (PHONE_DEFAULT_REGION). */
const importRecord = (region: string) => z.object({
  sub: z.string().regex(/^[\w-]{1,43}$/, 'must be 1-43 letters, digits, "-" or "_"').optional(),
  person_code: z.string().refine(isPersonCode, 'must be 8 digits with a valid check digit').optional(),
  username: z.string().nullable().optional().refine((u) => !u || checkUsername(u) === undefined, "must be 3-64 letters, digits, '.', '_' or '-', starting with a letter or digit, not only digits"),
  given_name: text(100),
  family_name: text(100),
  email: z.string().nullable().optional().refine((e) => !e || !checkEmail(e).error, 'must be an email address'),
  email_verified: z.boolean().default(false),
  phone: z.string().nullable().optional().transform((p, ctx) => {
    if (!p) return p;
    const checked = checkPhone(p, region);
    if (checked.error) ctx.addIssue({ code: 'custom', message: `must be a phone number: +39 333 1234567, or without the country code for a number of ${region}` });
    return checked.value;
  }),
  birthdate: z.iso.date().nullable().optional(),
  user_type: z.enum(USER_TYPES).default('internal'),
  status: z.enum(ACCOUNT_STATUSES).default('active'),
  locale: z.string().max(8).nullable().optional(),
  created_at: time.optional(),
  activated_at: time.nullable().optional(),
  last_login_at: time.nullable().optional(),
  password_changed_at: time.nullable().optional(),
  disabled_at: time.nullable().optional(),
  password_hash: z.string().max(255).nullable().optional()
    .refine((h) => !h || hashKind(h) !== undefined, 'must be an argon2id, argon2i, bcrypt ($2a$, $2b$, $2y$) or $pbkdf2-sha256$ hash'),
}).strict();

export type ImportRecord = z.output<ReturnType<typeof importRecord>>;

export interface ImportProblem { line: number; message: string }
export interface ImportResult { created: number; updated: number; failed: ImportProblem[] }

/** One line's verdict: the record, or what is wrong with it in one sentence. */
function parseImportLine(schema: ReturnType<typeof importRecord>, line: string): { record: ImportRecord } | { error: string } {
  if (line.length > IMPORT_LINE_MAX) return { error: `longer than ${IMPORT_LINE_MAX} characters` };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { error: 'not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { record: parsed.data };
  return { error: parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ') };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An account as one export line; the hash only when asked for. */
export function exportRecord(a: Account, withPasswordHash: boolean): Record<string, unknown> {
  return {
    sub: a.id, person_code: a.personCode, username: a.username, given_name: a.givenName, family_name: a.familyName,
    email: a.email, email_verified: a.emailVerified, phone: a.phone, birthdate: a.birthdate, user_type: a.userType, status: a.status,
    locale: a.locale, created_at: iso(a.createdAt), activated_at: iso(a.activatedAt), last_login_at: iso(a.lastLoginAt),
    password_changed_at: iso(a.passwordChangedAt), disabled_at: iso(a.disabledAt),
    ...(withPasswordHash ? { password_hash: a.passwordHash } : {}),
  };
}

export class AccountTransfer {
  private readonly schema;

  /** `phoneRegion`: PHONE_DEFAULT_REGION, for numbers without a country code. */
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly findById: (id: string) => Promise<Account | undefined>, phoneRegion: string) {
    this.schema = importRecord(phoneRegion);
  }

  /** Every account, oldest id first, a page at a time (constant memory at any size). */
  async *export(): AsyncGenerator<Account> {
    let after = '';
    for (;;) {
      const ids = (await this.db('accounts').where('id', '>', after).orderBy('id').limit(EXPORT_PAGE).pluck('id')) as string[];
      for (const id of ids) {
        const account = await this.findById(id);
        if (account) yield account;
      }
      if (ids.length < EXPORT_PAGE) return;
      after = ids[ids.length - 1]!;
    }
  }

  /** Imports lines in order; `progress` is called after each with the running totals. */
  async import(lines: AsyncIterable<string>, progress?: (lineNumber: number, result: ImportResult) => void): Promise<ImportResult> {
    const result: ImportResult = { created: 0, updated: 0, failed: [] };
    let n = 0;
    for await (const raw of lines) {
      n++;
      const line = raw.trim();
      if (line) {
        const parsed = parseImportLine(this.schema, line);
        if ('error' in parsed) {
          result.failed.push({ line: n, message: parsed.error });
        } else {
          try {
            result[await this.upsert(parsed.record)]++;
          } catch (err) {
            result.failed.push({ line: n, message: err instanceof ImportConflict ? err.message : 'could not be stored (database error)' });
          }
        }
      }
      progress?.(n, result);
    }
    return result;
  }

  /** A generated person code no account holds (codes are drawn from 9 million: a large import meets collisions). */
  private async freePersonCode(trx: Db): Promise<string> {
    for (;;) {
      const code = generatePersonCode();
      if (!(await trx('accounts').where({ person_code: code }).first('id'))) return code;
    }
  }

  /** Inserts the account, or updates the one it names; the database's unique indexes decide conflicts. */
  private async upsert(r: ImportRecord): Promise<'created' | 'updated'> {
    return this.db.transaction(async (trx) => {
      const keys: [string, string][] = [];
      if (r.sub) keys.push(['id', r.sub]);
      if (r.person_code) keys.push(['person_code', r.person_code]);
      if (r.username) keys.push(['username_key', usernameKey(r.username)]);
      if (r.email) keys.push(['email_key', emailKey(r.email)]);
      if (!keys.length) throw new ImportConflict('needs at least one of sub, person_code, username or email to be matched on a later import');
      const matches = (await trx('accounts').where((q) => { for (const [column, value] of keys) q.orWhere(column, value); }).pluck('id')) as string[];
      if (matches.length > 1) throw new ImportConflict(`its sub, person_code, username and email belong to ${matches.length} different existing accounts`);
      const existing = matches[0];
      if (existing && r.sub && r.sub !== existing) throw new ImportConflict('its person_code, username or email belongs to an existing account with another sub');

      const now = this.clock.now();
      const row: Record<string, unknown> = {
        username: r.username ? r.username.normalize('NFKC').trim() : null,
        username_key: r.username ? usernameKey(r.username) : null,
        given_name: r.given_name, family_name: r.family_name,
        email: r.email ? r.email.normalize('NFKC').trim() : null,
        email_key: r.email ? emailKey(r.email) : null,
        email_verified: r.email_verified, phone: r.phone ?? null, birthdate: r.birthdate ?? null,
        user_type: r.user_type, status: r.status, locale: r.locale ?? null,
        activated_at: r.activated_at !== undefined ? r.activated_at : r.status === 'active' ? now : null,
        last_login_at: r.last_login_at ?? null,
        disabled_at: r.disabled_at !== undefined ? r.disabled_at : r.status === 'disabled' ? now : null,
      };
      if (r.person_code) row.person_code = r.person_code;
      if (r.created_at !== undefined) row.created_at = r.created_at;
      // A line without password_hash leaves the stored one alone (re-importing a hash-less export).
      if (r.password_hash !== undefined) {
        row.password_hash = r.password_hash;
        row.password_changed_at = r.password_changed_at !== undefined ? r.password_changed_at : r.password_hash ? now : null;
      }
      if (existing) {
        await trx('accounts').where({ id: existing }).update(row);
        return 'updated';
      }
      await trx('accounts').insert({
        id: r.sub ?? randomBytes(16).toString('base64url'), person_code: r.person_code ?? await this.freePersonCode(trx), created_at: now,
        password_hash: null, ...row,
      });
      return 'created';
    });
  }
}

/** A line that cannot be applied as it stands; its message is shown with the line number. */
class ImportConflict extends Error {}
