/** pino: JSON in production, pretty in development. Secrets are redacted wherever they might appear. */
import { pino, type Logger } from 'pino';
import type { Config } from '../config/schema.js';

export type { Logger };

const REDACT = [
  'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]',
  '*.password', '*.password_confirm', '*.token', '*.code', '*.secret', '*.client_secret', '*.refresh_token', '*.access_token', '*.id_token',
];

export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>): Logger {
  const pretty = config.nodeEnv === 'development' && process.stdout.isTTY;
  return pino({
    level: config.logLevel,
    base: { service: 'porta' },
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' } } } : {}),
  });
}
