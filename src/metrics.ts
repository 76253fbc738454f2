/**
 * Prometheus metrics (prom-client), one registry per running Porta. Counted where each thing already
 * happens once: requests in one middleware, sign-ins, lockouts and registrations from the audit log
 * (Audit.record), mails in Mailer.send, queries from knex's own events, sweeps from their result.
 *
 * Served on METRICS_PORT (its own listener, loopback by default) and/or at /metrics on the main port
 * behind METRICS_TOKEN; neither is on by default. In cluster mode the primary serves METRICS_PORT with
 * the sum over the workers (prom-client's AggregatorRegistry), so a scrape sees the whole instance.
 *
 * The adapter's plain SQL on SQLite (src/storage/statements.ts) is not timed: those are synchronous
 * point reads and writes of a few microseconds on the token path, already inside the request histogram.
 * On PostgreSQL it runs through knex.raw and is timed with the rest.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Context, Next } from 'koa';
import client from 'prom-client';
import type { Db } from './storage/db.js';
import type { SweepResult } from './storage/sweep.js';

/** Audit actions counted, and the counter each one goes to. Other actions are not metrics. */
const AUDIT_COUNTERS = {
  'login.succeeded': ['porta_sign_ins_total', { result: 'succeeded' }],
  'login.failed': ['porta_sign_ins_total', { result: 'failed' }],
  'account.locked': ['porta_lockouts_total', {}],
  'registration.created': ['porta_registrations_total', {}],
} as const;

export const METRICS_CONTENT_TYPE = client.Registry.PROMETHEUS_CONTENT_TYPE;

export class Metrics {
  readonly registry = new client.Registry();
  private readonly requests = new client.Histogram({
    name: 'porta_http_request_duration_seconds', help: 'HTTP requests by route template (or oidc-provider route name), method and status.',
    labelNames: ['route', 'method', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });
  private readonly signIns = new client.Counter({ name: 'porta_sign_ins_total', help: 'Password sign-in attempts by result (failed: any refused attempt, whether unknown user, wrong password, delayed, locked or disabled).', labelNames: ['result'], registers: [this.registry] });
  private readonly lockouts = new client.Counter({ name: 'porta_lockouts_total', help: 'Accounts locked after too many wrong passwords.', registers: [this.registry] });
  private readonly registrations = new client.Counter({ name: 'porta_registrations_total', help: 'Self-service registrations created.', registers: [this.registry] });
  private readonly mails = new client.Counter({ name: 'porta_mails_total', help: 'Mails handed to the mail server, by result.', labelNames: ['result'], registers: [this.registry] });
  private readonly queries = new client.Histogram({
    name: 'porta_db_query_duration_seconds', help: 'Database queries run through knex, by method and result.',
    labelNames: ['method', 'result'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry],
  });
  private readonly sweepRows = new client.Counter({ name: 'porta_sweep_rows_deleted_total', help: 'Expired rows deleted by the sweep.', registers: [this.registry] });
  private readonly sweeps = new client.Counter({ name: 'porta_sweeps_total', help: 'Sweep passes, by result.', labelNames: ['result'], registers: [this.registry] });
  private readonly sweepBatch = new client.Gauge({
    name: 'porta_sweep_longest_batch_seconds', help: 'The longest batch of the last sweep pass (how long a request could have waited behind it).',
    registers: [this.registry], aggregator: 'max',
  });
  private readonly counters = { porta_sign_ins_total: this.signIns, porta_lockouts_total: this.lockouts, porta_registrations_total: this.registrations };

  /** Process metrics (CPU, memory, event-loop delay, GC): only for a server, not for each CLI run. */
  collectProcessMetrics(): void {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'porta_' });
  }

  /** Times every knex query and reports the pool's connections at each scrape. */
  watchDatabase(db: Db): void {
    const started = new Map<string, number>();
    type Query = { __knexQueryUid?: string; method?: string };
    const finish = (q: Query, result: 'ok' | 'error') => {
      const uid = q.__knexQueryUid;
      const t = uid === undefined ? undefined : started.get(uid);
      if (t === undefined) return;
      started.delete(uid!);
      this.queries.observe({ method: q.method ?? 'raw', result }, (performance.now() - t) / 1000);
    };
    db.on('query', (q: Query) => { if (q.__knexQueryUid) started.set(q.__knexQueryUid, performance.now()); });
    db.on('query-response', (_res: unknown, q: Query) => finish(q, 'ok'));
    db.on('query-error', (_err: unknown, q: Query) => finish(q, 'error'));
    type Pool = { numUsed(): number; numFree(): number; numPendingAcquires(): number };
    const pool = () => (db.client as { pool?: Pool }).pool;
    new client.Gauge({
      name: 'porta_db_pool_connections', help: 'Database pool connections by state (used, free, waiting: requests waiting for one).',
      labelNames: ['state'], registers: [this.registry],
      collect() {
        const p = pool();
        this.set({ state: 'used' }, p?.numUsed() ?? 0);
        this.set({ state: 'free' }, p?.numFree() ?? 0);
        this.set({ state: 'waiting' }, p?.numPendingAcquires() ?? 0);
      },
    });
  }

  /** Called by Audit.record for every event. */
  audited(action: string): void {
    const counted = AUDIT_COUNTERS[action as keyof typeof AUDIT_COUNTERS];
    if (counted) this.counters[counted[0]].inc(counted[1]);
  }

  mail(result: 'sent' | 'failed'): void {
    this.mails.inc({ result });
  }

  swept(result: SweepResult | undefined): void {
    if (!result) return void this.sweeps.inc({ result: 'failed' });
    this.sweeps.inc({ result: 'ok' });
    this.sweepRows.inc(result.rows);
    this.sweepBatch.set(result.longestBatchMs / 1000);
  }

  /**
   * Koa middleware timing each request. The route label is bounded: oidc-provider's route name
   * (`token`, `authorization`…), else Porta's route template (`/interaction/:uid`), else `unmatched`.
   */
  middleware() {
    const requests = this.requests;
    return async function metrics(ctx: Context, next: Next) {
      const started = performance.now();
      try {
        await next();
      } finally {
        const c = ctx as Context & { oidc?: { route?: string }; _matchedRoute?: unknown };
        const route = c.oidc?.route ?? (typeof c._matchedRoute === 'string' ? c._matchedRoute : 'unmatched');
        requests.observe({ route, method: ctx.method, status: ctx.status }, (performance.now() - started) / 1000);
      }
    };
  }

  /** /metrics on the main port, answered only with `Authorization: Bearer METRICS_TOKEN`. */
  tokenEndpoint(token: string) {
    const expected = Buffer.from(`Bearer ${token}`);
    return async (ctx: Context, next: Next) => {
      if (ctx.path !== '/metrics') return next();
      const given = Buffer.from(ctx.get('Authorization'));
      // The same answer for a missing and a wrong token; compared in constant time.
      if (!token || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        ctx.status = 404;
        return;
      }
      ctx.type = METRICS_CONTENT_TYPE;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await this.registry.metrics();
    };
  }
}

/** A listener that answers GET /metrics with `render()` and 404 to everything else. */
export async function listenMetrics(port: number, host: string, render: () => Promise<string>): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    render().then(
      (body) => res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' }).end(body),
      () => res.writeHead(503).end(),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => { server.off('error', fail); ok(); });
  });
  return server;
}

/** In a worker: answer the primary's requests for this registry's metrics (see clusterMetrics()). */
export function reportToPrimary(metrics: Metrics): void {
  client.AggregatorRegistry.setRegistries([metrics.registry]);
  new client.AggregatorRegistry();
}

/** In the primary: the workers' metrics summed (counters, histograms) or combined per metric's aggregator. */
export function clusterMetrics(): () => Promise<string> {
  const aggregator = new client.AggregatorRegistry();
  return () => aggregator.clusterMetrics();
}
