/** pino: JSON in production, pretty in development. Secrets are redacted wherever they might appear. */
import { pino, symbols, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/schema.js';

export type { Logger };

const SECRET_KEYS = ['password', 'password_confirm', 'token', 'secret', 'client_secret', 'refresh_token', 'access_token', 'id_token'];
// Top level and one level down: pino's `*.password` does not match a top-level `password`.
// `code` is secret only in what a person or client sent (a one-time or authorization code); an
// error's or an exit's `code` (SQLITE_FULL, 23505, 1) is what an operator needs to see.
const REDACT = [
  'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]',
  ...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`),
  ...['form', 'body', 'query', 'params'].map((container) => `${container}.code`),
];

/**
 * Errors are logged with the fields that say what went wrong, and no others: a database driver's
 * extra fields can quote the row (PostgreSQL's `detail`: "Key (email)=(…) already exists").
 */
const ERROR_FIELDS = ['code', 'errno', 'status', 'statusCode', 'expose', 'error', 'error_description', 'constraint', 'table', 'column'];
function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const fields = err as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { type: err.constructor.name, message: err.message, stack: err.stack };
  for (const key of ERROR_FIELDS) if (fields[key] !== undefined) out[key] = fields[key];
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** To stdout, or to `destination` (tests). */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>, destination?: DestinationStream): Logger {
  const pretty = !destination && config.nodeEnv === 'development' && process.stdout.isTTY;
  const options = {
    level: config.logLevel,
    base: { service: 'porta' },
    serializers: { err: serializeError },
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
