/** Form parsing for Porta's pages: urlencoded only, bounded size, CSRF checked, fields bounded. */
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { AppError } from '../src/errors.js';
import type { DateParts } from '../src/accounts/validation.js';
import { csrfValid } from '../src/http/context.js';

const parse = bodyParser({ enableTypes: ['form'], formLimit: '32kb', encoding: 'utf-8' });

/**
 * A body that cannot be read (a `Content-Encoding` it does not match, say) is the sender's fault: 400.
 * zlib's errors carry no HTTP status, so they would otherwise become a 500.
 */
async function parseBody(ctx: Context, next: Next) {
  let parsed = false;
  try {
    await parse(ctx, () => { parsed = true; return next(); });
  } catch (err) {
    const e = err as { status?: number; code?: unknown };
    if (!parsed && e.status === undefined && typeof e.code === 'string' && e.code.startsWith('Z_')) throw new AppError('error.bad_request', 400, { cause: err });
    throw err;
  }
}

/** Parses the form and refuses it (403, nothing changed) when its CSRF token is missing or wrong. */
export async function form(ctx: Context, next: Next) {
  await parseBody(ctx, async () => {
    if (!ctx.request.body || typeof ctx.request.body !== 'object') ctx.request.body = {};
    if (!csrfValid(ctx, (ctx.request.body as Record<string, unknown>)._csrf)) throw new AppError('csrf.invalid', 403);
    await next();
  });
}

/** A string field: trimmed unless told otherwise, NFC-normalised, '' when absent, undefined when longer than max. */
export function field(ctx: Context, name: string, max: number, { trim = true } = {}): string | undefined {
  const raw = (ctx.request.body as Record<string, unknown>)[name];
  const value = typeof raw === 'string' ? raw : '';
  if (value.length > max * 4) return undefined;
  const normalised = value.normalize('NFC');
  const out = trim ? normalised.trim() : normalised;
  return out.length > max ? undefined : out;
}

/** The three fields of views/fields.ts dateField, as typed (bounded). */
export function dateParts(ctx: Context, name: string): DateParts {
  const part = (key: string) => field(ctx, `${name}_${key}`, 8) ?? 'x';
  return { day: part('day'), month: part('month'), year: part('year') };
}
