/**
 * Every Porta setting in one place: its environment variable, type, default and a one-line doc.
 * The README's configuration reference is generated from this list (`npm run docs:config`),
 * and a test keeps the two in step.
 */
import { z } from 'zod';

export const DEVELOPMENT_COOKIE_KEYS = ['dev-only-cookie-key-change-me-1', 'dev-only-cookie-key-change-me-2'];
/** Client secrets that start with this are the shipped examples; production refuses them. */
export const DEVELOPMENT_SECRET_PREFIX = 'dev-only-';

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));

interface Setting<T extends z.ZodType = z.ZodType> {
  env: string;
  schema: T;
  default: z.input<T> | undefined;
  doc: string;
  /** Never printed back (in errors or `porta config`). */
  secret?: boolean;
}
const setting = <T extends z.ZodType>(s: Setting<T>) => s;

export const settings = {
  nodeEnv: setting({ env: 'NODE_ENV', schema: z.enum(['development', 'production', 'test']), default: 'development', doc: '`production` enforces real secrets and JSON logs.' }),
  port: setting({ env: 'PORT', schema: int(0, 65535), default: 3000, doc: 'TCP port to listen on (0 picks a free one).' }),
  host: setting({ env: 'HOST', schema: z.string().min(1), default: '0.0.0.0', doc: 'Address to listen on.' }),
  issuer: setting({ env: 'ISSUER', schema: z.url({ protocol: /^https?$/ }).refine((u) => !u.endsWith('/') && !u.includes('?') && !u.includes('#'), 'must not end with / or carry a query or fragment').optional(), default: undefined, doc: 'Public base URL, the `iss` of every token. Default `http://localhost:$PORT`.' }),
  databaseUrl: setting({ env: 'DATABASE_URL', schema: z.string().min(1), default: 'var/porta.sqlite', doc: 'SQLite file path (or `sqlite:PATH`), or a `postgres://` URL.', secret: true }),
  smtpUrl: setting({ env: 'SMTP_URL', schema: z.string(), default: '', doc: 'SMTP server, e.g. `smtp://user:pass@host:587`. Empty: mails are written as .eml files to MAIL_DIR.', secret: true }),
  mailFrom: setting({ env: 'MAIL_FROM', schema: z.string().min(3), default: 'Porta <no-reply@localhost>', doc: 'Sender of every mail.' }),
  mailDir: setting({ env: 'MAIL_DIR', schema: z.string().min(1), default: 'var/mail', doc: 'Where mails go when SMTP_URL is empty (development).' }),
  cookieKeys: setting({ env: 'COOKIE_KEYS', schema: list.pipe(z.array(z.string().min(16, 'each key needs at least 16 characters')).min(1)), default: DEVELOPMENT_COOKIE_KEYS, doc: 'Comma-separated keys that sign cookies; the first signs, all verify (rotate by prepending).', secret: true }),
  keysEncryptionSecret: setting({ env: 'KEYS_ENCRYPTION_SECRET', schema: z.string().refine((s) => s === '' || s.length >= 32, 'must be empty or at least 32 characters'), default: '', doc: 'When set, private signing keys are stored encrypted (AES-256-GCM) with a key derived from it.', secret: true }),
  logLevel: setting({ env: 'LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info', doc: 'pino log level.' }),
  clientsFile: setting({ env: 'CLIENTS_FILE', schema: z.string(), default: 'config/clients.json', doc: 'JSON file of relying services (empty: none; clients can also be added with `porta clients add`).' }),
  outboundPrivateNetworks: setting({ env: 'OUTBOUND_PRIVATE_NETWORKS', schema: bool, default: false, doc: 'Let outgoing requests (back-channel logout, client JWKS) reach loopback and private addresses, for services on the campus network.' }),
  trustProxy: setting({ env: 'TRUST_PROXY', schema: bool, default: false, doc: 'Honour X-Forwarded-Proto/-For from a TLS-terminating proxy.' }),
  defaultLocale: setting({ env: 'DEFAULT_LOCALE', schema: z.enum(['en', 'it']), default: 'en', doc: 'Language when the browser asks for none we have.' }),
  argon2MemoryKib: setting({ env: 'ARGON2_MEMORY_KIB', schema: int(19456, 4194304), default: 19456, doc: 'argon2id memory cost in KiB (OWASP minimum 19456).' }),
  argon2TimeCost: setting({ env: 'ARGON2_TIME_COST', schema: int(2, 100), default: 2, doc: 'argon2id iterations.' }),
  argon2Parallelism: setting({ env: 'ARGON2_PARALLELISM', schema: int(1, 16), default: 1, doc: 'argon2id lanes.' }),
  sessionTtlSeconds: setting({ env: 'SESSION_TTL_SECONDS', schema: int(60, 31536000), default: 1209600, doc: 'Lifetime of a sign-in session (SSO).' }),
  interactionTtlSeconds: setting({ env: 'INTERACTION_TTL_SECONDS', schema: int(60, 86400), default: 3600, doc: 'How long a person has to finish a sign-in page.' }),
  authorizationCodeTtlSeconds: setting({ env: 'AUTHORIZATION_CODE_TTL_SECONDS', schema: int(10, 600), default: 60, doc: 'Lifetime of an authorization code.' }),
  accessTokenTtlSeconds: setting({ env: 'ACCESS_TOKEN_TTL_SECONDS', schema: int(60, 86400), default: 3600, doc: 'Lifetime of an access token.' }),
  idTokenTtlSeconds: setting({ env: 'ID_TOKEN_TTL_SECONDS', schema: int(60, 86400), default: 3600, doc: 'Lifetime of an ID token.' }),
  refreshTokenTtlSeconds: setting({ env: 'REFRESH_TOKEN_TTL_SECONDS', schema: int(60, 31536000), default: 1209600, doc: 'Lifetime of a refresh token (rotated on every use).' }),
  sweepIntervalSeconds: setting({ env: 'SWEEP_INTERVAL_SECONDS', schema: int(0, 86400), default: 60, doc: 'How often expired rows are deleted (0 disables the sweep).' }),
  sweepBatchSize: setting({ env: 'SWEEP_BATCH_SIZE', schema: int(1, 100000), default: 500, doc: 'Rows deleted per statement by the sweep, so no request waits long behind it.' }),
} as const;

export type SettingName = keyof typeof settings;
type Output<K extends SettingName> = z.output<(typeof settings)[K]['schema']>;
export type Config = { readonly [K in SettingName]: Output<K> };
