/** pino: JSON in production, pretty in development. Secrets are redacted wherever they might appear. */
import { pino, symbols, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/schema.js';

export type { Logger };

const SECRET_KEYS = ['password', 'password_confirm', 'token', 'code', 'secret', 'client_secret', 'refresh_token', 'access_token', 'id_token'];
// Top level and one level down: pino's `*.password` does not match a top-level `password`.
const REDACT = [
  'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]',
  ...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`),
];

/** To stdout, or to `destination` (tests). */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>, destination?: DestinationStream): Logger {
  const pretty = !destination && config.nodeEnv === 'development' && process.stdout.isTTY;
  const options = {
    level: config.logLevel,
    base: { service: 'porta' },
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The one line written for every request. Its fields (request id, method, path, status, duration)
 * are fixed and never secret, so it skips the redaction scan every other line goes through — a few
 * per cent of a token request. Same level, bindings and output as `logger`.
 */
export function requestLogger(logger: Logger): Logger {
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[symbols.streamSym];
  return pino({ level: logger.level, base: logger.bindings() }, stream);
}
