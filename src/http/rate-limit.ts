/**
 * Rate limits kept in the database (rate-limiter-flexible on the same knex connection), so they hold
 * across processes and restarts. A throttled request gets 429, Retry-After and a localized page.
 */
import type { Context, Next } from 'koa';
import { RateLimiterPostgres, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Db } from '../storage/db.js';
import { renderErrorPage } from './errors.js';

export class RateLimits {
  constructor(private readonly db: Db) {}

  /** `points` requests per `perSeconds` for each key, under the name `name`. */
  limiter(name: string, points: number, perSeconds: number): RateLimiterAbstract {
    const options = { storeClient: this.db, storeType: 'knex', tableName: 'rate_limits', tableCreated: true, keyPrefix: name, points, duration: perSeconds };
    return this.db.client.config.client === 'pg' ? new RateLimiterPostgres(options) : new RateLimiterSQLite(options);
  }
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
