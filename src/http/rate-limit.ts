/**
 * Rate limits kept in the database (rate-limiter-flexible on the same knex connection), so they hold
 * across processes and restarts. A throttled request gets 429, Retry-After and a localized page.
 */
import type { Context, Next } from 'koa';
import { RateLimiterPostgres, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type pg from 'pg';
import type { Db } from '../storage/db.js';
import { renderErrorPage } from './errors.js';

export class RateLimits {
  constructor(private readonly db: Db) {}

  /** `points` requests per `perSeconds` for each key, under the name `name`. */
  limiter(name: string, points: number, perSeconds: number): RateLimiterAbstract {
    const options = { tableName: 'rate_limits', tableCreated: true, keyPrefix: name, points, duration: perSeconds };
    return this.db.client.config.client === 'pg'
      ? new RateLimiterPostgres({ ...options, storeClient: asyncCommitStore(this.db), storeType: 'pool' })
      : new RateLimiterSQLite({ ...options, storeClient: this.db, storeType: 'knex' });
  }
}

/**
 * PostgreSQL: a limiter's count commits without waiting for its WAL record to reach the disk
 * (`synchronous_commit` off for that transaction only). Every request from one address updates one
 * row, so a durable commit each had those requests queue on the row's lock for a disk flush: the
 * token endpoint ran at a third of its rate (bench/RESULTS.md). A crash of the database server may
 * forget the last fraction of a second of counts; it never loses anything else, nor reorders them.
 */
function asyncCommitStore(db: Db) {
  return {
    async query(statement: pg.QueryConfig): Promise<pg.QueryResult> {
      const conn = (await db.client.acquireConnection()) as pg.Client;
      try {
        await conn.query('BEGIN; SET LOCAL synchronous_commit TO OFF');
        const result = await conn.query(statement);
        await conn.query('COMMIT');
        return result;
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        await db.client.releaseConnection(conn);
      }
    },
  };
}

export class Throttled extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many requests');
  }
}

/** Spends one point for `key`; throws Throttled when none is left. */
export async function spend(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw new Throttled(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
    throw err;
  }
}

/** Middleware: one point per request, keyed by client IP unless told otherwise. */
export function throttle(limiter: RateLimiterAbstract, key: (ctx: Context) => string = (ctx) => ctx.ip) {
  return async (ctx: Context, next: Next) => {
    await spend(limiter, key(ctx));
    await next();
  };
}

export function renderThrottled(ctx: Context, err: Throttled) {
  ctx.set('Retry-After', String(err.retryAfterSeconds));
  renderErrorPage(ctx, 429, ctx.state.t('error.too_many_requests', { minutes: Math.ceil(err.retryAfterSeconds / 60) }));
}

/**
 * Per-IP limit on the token endpoint, counted in the database like every other limit, so several
 * instances (or PORTA_WORKERS) behind a load balancer share one budget. Answers as OAuth does, in JSON.
 */
export function tokenEndpointLimit(limiter: RateLimiterAbstract | undefined) {
  if (!limiter) return (_ctx: Context, next: Next) => next();
  return async (ctx: Context, next: Next) => {
    if (ctx.method === 'POST' && ctx.path === '/token') {
      try {
        await limiter.consume(ctx.ip);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        ctx.status = 429;
        ctx.set('Retry-After', String(Math.max(1, Math.ceil(err.msBeforeNext / 1000))));
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'temporarily_unavailable', error_description: 'too many requests from this address; retry later' };
        return;
      }
    }
    return next();
  };
}
