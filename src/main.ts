/** The process: load config, start, and shut down cleanly on SIGTERM / SIGINT. */
import cluster from 'node:cluster';
import { ConfigError, loadConfig } from '../config/load.js';
import { checkClusterConfig, runPrimary } from './cluster.js';
import { createLogger } from './logger.js';
import { start } from './server.js';
import { DatabaseNotWritable } from './storage/db.js';

async function main() {
  let config;
  try {
    config = loadConfig();
    checkClusterConfig(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`porta: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config);
  // PORTA_WORKERS > 1: this process prepares the database and forks the workers, which run the code below.
  if (config.workers > 1 && cluster.isPrimary) {
    let code = 1;
    try {
      code = await runPrimary(config, logger);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`porta: ${err.message}\n`);
        process.exit(2);
      }
      logger.fatal({ err }, 'could not start');
    }
    logger.flush();
    process.exit(code);
  }
  let running;
  try {
    running = await start({ config, logger });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`porta: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof DatabaseNotWritable) process.stderr.write(`porta: ${err.message}\n`);
    logger.fatal({ err }, 'could not start');
    process.exit(1);
  }
  logger.info({ issuer: running.issuer, discovery: `${running.issuer}/.well-known/openid-configuration` }, 'Porta is listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => { logger.error('shutdown took too long; exiting'); process.exit(1); }, 10_000).unref();
    running.close().then(() => { clearTimeout(force); logger.flush(); process.exit(0); }, (err: unknown) => { logger.error({ err }, 'shutdown failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
