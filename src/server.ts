/**
 * Starts Porta: storage, keys, the app, the HTTP server and the expiry sweep; closes them in order.
 * Used by main.ts and by the tests (port 0, a temp database, an injected clock).
 */
import cluster from 'node:cluster';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type Provider from 'oidc-provider';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { seedDevelopment } from '../db/seeds/development.js';
import { SamlSp } from './federation/saml/sp.js';
import { createApp } from './app.js';
import { BackchannelLogouts } from './flows/backchannel-logout.js';
import { drainBackground } from './flows/background.js';
import { loadClientsFile, weakSecretProblem } from './clients.js';
import { loadFederation } from './federation/registry.js';
import { systemClock, type Clock } from './clock.js';
import { createLogger, type Logger } from './logger.js';
import { listenMetrics, reportToPrimary } from './metrics.js';
import { fromRoot } from './paths.js';
import { createServices, type Services } from './services.js';
import { migrate, openDatabase, type Db } from './storage/db.js';
import { sweepExpired, type Sweep, type SweepResult } from './storage/sweep.js';

export interface Running {
  url: string;
  issuer: string;
  server: Server;
  /** The provider serving now (replaced when the signing keys change: refreshKeys). */
  readonly provider: Provider;
  services: Services;
  /** One pass of the expiry sweep (the timer runs it every SWEEP_INTERVAL_SECONDS). */
  sweep(): Promise<SweepResult>;
  /** Loads the signing keys from the database; when they changed (a rotation by `porta keys rotate` on
   * any machine, a retired key's retention over), serves with them from the next request. The timer
   * runs it every KEYS_REFRESH_SECONDS. Answers whether they changed. */
  refreshKeys(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Production refuses to start while a client added with `porta clients add` has a secret the clients file
 * would refuse (added from a shell without NODE_ENV=production); such a client is never served either.
 */
async function refuseWeakDatabaseClients(db: Db): Promise<void> {
  const rows = (await db('clients').select('client_id', 'metadata')) as { client_id: string; metadata: string }[];
  const problems = rows.flatMap((r) => {
    const weak = weakSecretProblem((JSON.parse(r.metadata) as { client_secret?: unknown }).client_secret);
    return weak ? [`client "${r.client_id}" (database): production refuses ${weak}; give it a new one with porta clients rotate-secret --id ${r.client_id}`] : [];
  });
  if (problems.length) throw new ConfigError(problems);
}

export async function start({ config, clock = systemClock, logger = createLogger(config) }: StartOptions): Promise<Running> {
  const clientsPath = config.clientsFile ? resolve(fromRoot(), config.clientsFile) : '';
  const clients = loadClientsFile(clientsPath, config.nodeEnv === 'production');
  const federation = loadFederation(config);
  const db = openDatabase(config.databaseUrl, { ...config, logger });
  const services = createServices(config, db, clock, logger, federation);
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
    const created = await services.keys.ensure();
    if (created.length) logger.info({ kids: created }, 'signing keys generated');
    const spKeys = await services.spKeys.ensure();
    if (spKeys.length) logger.info({ ids: spKeys }, 'SAML SP keys generated');
    if (config.nodeEnv === 'development') await seedDevelopment(services);
    if (config.nodeEnv === 'production') await refuseWeakDatabaseClients(db);
    await services.rateLimits.start();
  } catch (err) {
    await services.rateLimits.close();
    await db.destroy();
    throw err;
  }

  // Read before listening: from listen() to the request handler below nothing may wait, or requests an
  // instance accepted as it came back (behind a balancer, at once) would find no handler and hang.
  let jwks = await services.keys.jwks();
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => { server.off('error', fail); ok(); });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = config.issuer ?? `http://localhost:${port}`;
  // oidc-provider takes its keys at construction, so a change of keys builds a new app (everything it
  // keeps is in the database); requests already running finish on the old one.
  const kidsOf = (set: { keys: object[] }) => set.keys.map((k) => String((k as { kid?: string }).kid)).join(' ');
  let app = createApp(services, issuer, jwks, clients);
  let handle = app.provider.callback();
  // Shutting down, every answer closes its connection. A proxy keeping connections alive (nginx
  // `keepalive`, HAProxy) would otherwise go on sending requests down them, and server.close() would
  // wait for ever; told to close, it opens its next connection, which only the other instances accept.
  let closing = false;
  const inFlight = new Set<ServerResponse>();
  const closeAfterAnswer = (res: ServerResponse) => { if (!res.headersSent) res.setHeader('connection', 'close'); };
  server.on('request', (req, res) => {
    if (closing) closeAfterAnswer(res);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    handle(req, res);
  });
  const refreshKeys = async () => {
    const next = await services.keys.jwks();
    if (kidsOf(next) === kidsOf(jwks)) return false;
    app = createApp(services, issuer, next, clients);
    handle = app.provider.callback();
    logger.info({ kids: kidsOf(next).split(' ') }, 'signing keys reloaded');
    jwks = next;
    return true;
  };
  const keyTimer = config.keysRefreshSeconds
    ? setInterval(() => { refreshKeys().catch((err: unknown) => logger.error({ err }, 'reloading the signing keys failed')); }, config.keysRefreshSeconds * 1000).unref()
    : undefined;
  services.metrics.collectProcessMetrics();
  // A cluster worker reports to the primary, which serves METRICS_PORT for all of them (src/cluster.ts).
  if (cluster.isWorker) reportToPrimary(services.metrics);
  const metricsServer = config.metricsPort && !cluster.isWorker
    ? await listenMetrics(config.metricsPort, config.metricsHost, () => services.metrics.registry.metrics())
    : undefined;

  let sweeping: Promise<SweepResult> | undefined;
  let expirySweep: Sweep | undefined;
  const sweep = () => {
    sweeping ??= (async () => {
      try {
        expirySweep = sweepExpired(db, config.databaseUrl, clock, config.sweepBatchSize);
        const result = await expirySweep.done.catch((err: unknown) => { services.metrics.swept(undefined); throw err; });
        services.metrics.swept(result);
        await services.keys.prune();
        await app.registration.sweep();
        await SamlSp.prune(db, clock.now());
        if (result.rows) logger.info(result, 'expired rows swept');
        return result;
      } finally {
        sweeping = undefined;
      }
    })();
    return sweeping;
  };
  const timer = config.sweepIntervalSeconds
    ? setInterval(() => { sweep().catch((err: unknown) => logger.error({ err }, 'sweep failed')); }, config.sweepIntervalSeconds * 1000).unref()
    : undefined;

  const logouts = new BackchannelLogouts(services, () => app.provider);
  const logoutTimer = setInterval(() => { logouts.deliver().catch((err: unknown) => logger.error({ err }, 'sending back-channel logouts failed')); }, config.backchannelLogoutIntervalSeconds * 1000).unref();

  return {
    url: `http://127.0.0.1:${port}`,
    issuer,
    server,
    get provider() { return app.provider; },
    services,
    sweep,
    refreshKeys,
    async close() {
      clearInterval(timer);
      metricsServer?.close();
      clearInterval(keyTimer);
      clearInterval(logoutTimer);
      // Stop accepting, let in-flight requests finish, then close the database.
      closing = true;
      inFlight.forEach(closeAfterAnswer);
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeIdleConnections();
      });
      expirySweep?.stop();
      await sweeping?.catch(() => undefined);
      // Mails sent after a page was answered go out before the transport closes.
      await drainBackground();
      // Logouts owed by the last requests go out before the database closes.
      await logouts.deliver().catch((err: unknown) => logger.error({ err }, 'sending back-channel logouts failed'));
      services.mailer.close();
      await services.rateLimits.close();
      await db.destroy();
    },
  };
}
