/**
 * Cluster mode (PORTA_WORKERS > 1). The primary prepares the database once — migrations, signing keys,
 * the development seed — so workers never race to create keys, then forks the workers one after another.
 * Each worker runs start() on the same port (node:cluster shares the listening socket) and shares keys,
 * sessions and tokens through the database (SQLite in WAL mode: many readers, one writer at a time,
 * busy_timeout for the rest). Only the first worker runs the expiry sweep. SIGTERM or SIGINT to the
 * primary stops the workers gracefully; a worker that dies after it was serving is replaced.
 */
import cluster, { type Worker } from 'node:cluster';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { seedDevelopment } from '../db/seeds/development.js';
import { systemClock } from './clock.js';
import type { Logger } from './logger.js';
import { clusterMetrics, listenMetrics } from './metrics.js';
import { createServices } from './services.js';
import { loadFederation } from './federation/registry.js';
import { migrate, openDatabase } from './storage/db.js';

/** Every worker must compute the same issuer (`http://localhost:PORT` unless ISSUER is set): a fixed port. */
export function checkClusterConfig(config: Config): void {
  if (config.workers > 1 && config.port === 0) {
    throw new ConfigError(['PORT: cluster mode (PORTA_WORKERS > 1) needs a fixed port, not 0: the workers share it, and the issuer derived from it must be the same in every worker']);
  }
  // A scrape of the shared port would reach one worker at random and see only its counts.
  if (config.workers > 1 && config.metricsToken) {
    throw new ConfigError(['METRICS_TOKEN: in cluster mode (PORTA_WORKERS > 1) use METRICS_PORT, which the primary serves with the sum over all workers']);
  }
}

/** What start() does before it listens, done once by the primary; the workers then find it done. */
async function prepare(config: Config, logger: Logger): Promise<void> {
  // A bad federation file stops the primary with its list of problems, rather than every worker in turn.
  loadFederation(config);
  const db = openDatabase(config.databaseUrl, { ...config, logger });
  const services = createServices(config, db, systemClock, logger);
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
    const created = await services.keys.ensure();
    if (created.length) logger.info({ kids: created }, 'signing keys generated');
    const spKeys = await services.spKeys.ensure();
    if (spKeys.length) logger.info({ ids: spKeys }, 'SAML SP keys generated');
    if (config.nodeEnv === 'development') await seedDevelopment(services);
  } finally {
    await services.rateLimits.close(); // never connected here: the workers count the limits
    await db.destroy();
  }
}

/** Runs the primary until it is told to stop; resolves with the exit code. */
export async function runPrimary(config: Config, logger: Logger): Promise<number> {
  await prepare(config, logger);
  const metricsServer = config.metricsPort ? await listenMetrics(config.metricsPort, config.metricsHost, clusterMetrics()) : undefined;

  let stopping = false;
  let failed = false;
  let sweeper: Worker | undefined;
  const deaths: number[] = [];
  const listening = new Set<Worker>();
  let done!: (code: number) => void;
  const finished = new Promise<number>((resolve) => { done = resolve; });

  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const fork = () => {
    // One sweeper is enough: the others would only contend with it for the write lock.
    const worker = cluster.fork(sweeper ? { SWEEP_INTERVAL_SECONDS: '0' } : {});
    sweeper ??= worker;
    return worker;
  };

  const stop = (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    if (code) failed = true;
    logger.info({ reason, workers: live().length }, 'stopping workers');
    for (const worker of live()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error('workers took too long to stop; killing them');
      for (const worker of live()) worker.process.kill('SIGKILL');
      done(1);
    }, 15_000).unref();
    if (live().length === 0) done(failed ? 1 : 0);
    metricsServer?.close();
  };

  cluster.on('listening', (worker) => {
    if (listening.has(worker)) return;
    listening.add(worker);
    // Workers start one at a time, so no two run their start-up (migration check, key check) at once.
    if (!stopping && live().length < config.workers) fork();
    else if (listening.size === config.workers) logger.info({ workers: config.workers, port: config.port }, 'all workers are listening');
  });

  cluster.on('exit', (worker, code, signal) => {
    const wasListening = listening.delete(worker);
    if (worker === sweeper) sweeper = undefined;
    if (stopping) {
      if (code !== 0) failed = true;
      if (live().length === 0) done(failed ? 1 : 0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker exited');
    if (!wasListening) return stop('a worker failed to start', 1);
    const now = Date.now();
    deaths.push(now);
    while (deaths.length && deaths[0]! < now - 60_000) deaths.shift();
    if (deaths.length > config.workers * 3) return stop('workers keep dying', 1);
    fork();
  });

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  fork();
  return finished;
}
