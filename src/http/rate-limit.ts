/**
 * Rate limits shared by every process and kept across restarts. In the database (rate-limiter-flexible
 * on the same knex connection) unless REDIS_URL is set; then in Redis, with the database counters as the
 * insurance that takes over while Redis is unreachable, so an outage neither fails requests nor lifts
 * the limits. A throttled request gets 429, Retry-After and a localized page.
 */
import { Redis } from 'ioredis';
import type { Context, Next } from 'koa';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../logger.js';
import type { Db } from '../storage/db.js';
import { databaseUnavailable, lostConnection, LOST_CONNECTION_RETRIES } from '../storage/db.js';
import { answerUnavailable, renderErrorPage } from './errors.js';

export interface RedisSettings {
  /** REDIS_URL; empty: no Redis. */
  url: string;
  /** Put before every key, so several installations can share one Redis. */
  keyPrefix: string;
  logger: Logger;
}

/** How long start() waits for Redis, and a command for its answer, before the database takes over. */
const REDIS_WAIT_MS = 2000;

export class RateLimits {
  /** Undefined without REDIS_URL: every limit is in the database. */
  private readonly redis?: Redis;
  /** What the log last said about Redis, so an outage is logged once, not once per request or retry. */
  private redisState: 'unknown' | 'up' | 'down' = 'unknown';
  private closing = false;
  private readonly logger?: Logger;

  constructor(private readonly db: Db, redis?: RedisSettings) {
    if (!redis?.url) return;
    this.logger = redis.logger;
    // No offline queue and one retry: while Redis is away a command fails at once, and the limiter
    // (rejectIfRedisNotReady) goes to the database instead; a request never waits for a reconnect.
    this.redis = new Redis(redis.url, {
      keyPrefix: redis.keyPrefix,
      lazyConnect: true,
      connectTimeout: REDIS_WAIT_MS,
      commandTimeout: REDIS_WAIT_MS,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // disconnect() of a connection that never came up would otherwise hold a 2 s timer after close.
      disconnectTimeout: 100,
      // Reconnects for as long as the process runs, at most every 5 s.
      retryStrategy: (times) => Math.min(times * 250, 5000),
    });
    this.redis.on('ready', () => {
      if (this.redisState === 'down') this.logger?.info('Redis reachable again: rate limits counted in Redis');
      this.redisState = 'up';
    });
    this.redis.on('error', (err: Error) => this.redisDown(err));
    this.redis.on('close', () => this.redisDown());
  }

  /** Logs the first sign of an outage. The URL may hold a password: the log names only what happened. */
  private redisDown(err?: Error) {
    if (this.closing || this.redisState === 'down') return;
    this.redisState = 'down';
    const cause = err && { code: (err as { code?: string }).code, message: err.message };
    this.logger?.warn({ cause }, 'Redis unreachable: rate limits counted in the database until it is back');
  }

  /** `points` requests per `perSeconds` for each key, under the name `name`. */
  limiter(name: string, points: number, perSeconds: number): RateLimiterAbstract {
    const options = { tableName: 'rate_limits', tableCreated: true, keyPrefix: name, points, duration: perSeconds };
    const database = this.db.client.config.client === 'pg'
      ? new RateLimiterPostgres({ ...options, storeClient: asyncCommitStore(this.db), storeType: 'pool' })
      : new RateLimiterSQLite({ ...options, storeClient: this.db, storeType: 'knex' });
    if (!this.redis) return database;
    return new RateLimiterRedis({ storeClient: this.redis, keyPrefix: name, points, duration: perSeconds, rejectIfRedisNotReady: true, insuranceLimiter: database });
  }

  /** Connects to Redis, waiting briefly: an unreachable Redis is logged, and Porta starts on the database limits. */
  async start(): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.connect().catch(() => undefined), // the 'error' listener has logged it; the client keeps retrying
      new Promise((resolve) => { timer = setTimeout(resolve, REDIS_WAIT_MS); }),
    ]);
    clearTimeout(timer);
    if (redis.status !== 'ready') this.redisDown(); // not connected in time (unless already said)
  }

  /** For /readyz: whether Redis answers now; undefined without REDIS_URL. */
  async redisStatus(): Promise<'reachable' | 'unreachable' | undefined> {
    if (!this.redis) return undefined;
    try {
      await this.redis.ping();
      return 'reachable';
    } catch {
      return 'unreachable';
    }
  }

  /** Closes the Redis connection: QUIT when connected, else stop reconnecting. */
  async close(): Promise<void> {
    const redis = this.redis;
    if (!redis || this.closing) return;
    this.closing = true;
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
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
  const once = async (statement: pg.QueryConfig): Promise<pg.QueryResult> => {
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
  };
  return {
    // A connection lost under it (a database restart) is tried again on a fresh one, as knex's own
    // statements are (src/storage/db.ts): at worst a point is counted twice, which only errs on the safe side.
    async query(statement: pg.QueryConfig): Promise<pg.QueryResult> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(statement);
        } catch (err) {
          if (attempt >= LOST_CONNECTION_RETRIES || !lostConnection(err)) throw err;
        }
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
 * Per-IP limit on the token endpoint, counted where every other limit is (the database, or Redis), so
 * several instances (or PORTA_WORKERS) behind a load balancer share one budget. Answers as OAuth does, in JSON.
 */
export function tokenEndpointLimit(limiter: RateLimiterAbstract | undefined) {
  if (!limiter) return (_ctx: Context, next: Next) => next();
  return async (ctx: Context, next: Next) => {
    if (ctx.method === 'POST' && ctx.path === '/token') {
      try {
        await limiter.consume(ctx.ip);
      } catch (err) {
        if (databaseUnavailable(err)) {
          ctx.state.log.warn({ err }, 'database unavailable for the request');
          return answerUnavailable(ctx);
        }
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
