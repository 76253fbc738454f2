/**
 * Starts Porta: storage, keys, the app, the HTTP server and the expiry sweep; closes them in order.
 * Used by main.ts and by the tests (port 0, a temp database, an injected clock).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type Provider from 'oidc-provider';
import type { Config } from '../config/schema.js';
import { seedDevelopment } from '../db/seeds/development.js';
import { createApp } from './app.js';
import { drainBackground } from './flows/background.js';
import { loadClientsFile } from './clients.js';
import { systemClock, type Clock } from './clock.js';
import { createLogger, type Logger } from './logger.js';
import { fromRoot } from './paths.js';
import { createServices, type Services } from './services.js';
import { migrate, openDatabase } from './storage/db.js';
import { sweepExpired, type Sweep, type SweepResult } from './storage/sweep.js';

export interface Running {
  url: string;
  issuer: string;
  server: Server;
  provider: Provider;
  services: Services;
  /** One pass of the expiry sweep (the timer runs it every SWEEP_INTERVAL_SECONDS). */
  sweep(): Promise<SweepResult>;
  close(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
}

export async function start({ config, clock = systemClock, logger = createLogger(config) }: StartOptions): Promise<Running> {
  const clientsPath = config.clientsFile ? resolve(fromRoot(), config.clientsFile) : '';
  const clients = loadClientsFile(clientsPath, config.nodeEnv === 'production');
  const db = openDatabase(config.databaseUrl, config);
  const services = createServices(config, db, clock, logger);
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
    const created = await services.keys.ensure();
    if (created.length) logger.info({ kids: created }, 'signing keys generated');
    if (config.nodeEnv === 'development') await seedDevelopment(services);
  } catch (err) {
    await db.destroy();
    throw err;
  }

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => { server.off('error', fail); ok(); });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = config.issuer ?? `http://localhost:${port}`;
  const { provider, registration } = createApp(services, issuer, await services.keys.jwks(), clients);
  server.on('request', provider.callback());

  let sweeping: Promise<SweepResult> | undefined;
  let expirySweep: Sweep | undefined;
  const sweep = () => {
    sweeping ??= (async () => {
      try {
        expirySweep = sweepExpired(db, config.databaseUrl, clock, config.sweepBatchSize);
        const result = await expirySweep.done;
        await services.keys.prune();
        await registration.sweep();
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

  return {
    url: `http://127.0.0.1:${port}`,
    issuer,
    server,
    provider,
    services,
    sweep,
    async close() {
      clearInterval(timer);
      // Stop accepting, let in-flight requests finish, then close the database.
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeIdleConnections();
      });
      expirySweep?.stop();
      await sweeping?.catch(() => undefined);
      await drainBackground();
      services.mailer.close();
      await db.destroy();
    },
  };
}
