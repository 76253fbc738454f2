/**
 * Every Porta setting in one place: its environment variable, type, default and a one-line doc.
 * The README's configuration reference is generated from this list (`npm run docs:config`),
 * and a test keeps the two in step.
 */
import { z } from 'zod';

export const DEVELOPMENT_COOKIE_KEYS = ['dev-only-cookie-key-change-me-1', 'dev-only-cookie-key-change-me-2'];
/** Client secrets that start with this are the shipped examples; production refuses them. */
export const DEVELOPMENT_SECRET_PREFIX = 'dev-only-';
/** FEDERATION_FILE's default, read only when it exists (any other path must exist). */
export const DEFAULT_FEDERATION_FILE = 'config/federation.json';

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));
/** Resource indicator (an absolute URL without fragment) → the API's scopes, its `aud` and, optionally, the only clients it accepts. */
const resourceServers = z.union([z.string(), z.record(z.string(), z.unknown())])
  .transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    if (!v.trim()) return {};
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.url().refine((u) => !u.includes('#'), 'a resource indicator has no fragment'), z.object({
    scope: z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'scope: space-separated scope names'),
    audience: z.string().min(1).optional(),
    clients: z.array(z.string().min(1)).optional(),
  }).strict()));

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
  host: setting({ env: 'HOST', schema: z.string(), default: '', doc: 'Address to listen on. Empty: `127.0.0.1` (this machine only) in development and test, `0.0.0.0` (every interface, as a container needs) in production.' }),
  allowDevelopmentOnNetwork: setting({ env: 'ALLOW_DEVELOPMENT_ON_NETWORK', schema: bool, default: false, doc: 'Let development mode (a demo account with a published password, public cookie keys, `/dev/`, mail links in the log) listen on a HOST other than loopback.' }),
  workers: setting({ env: 'PORTA_WORKERS', schema: int(1, 64), default: 1, doc: 'Processes serving requests (node:cluster, sharing the port and the database); 1 runs a single process. More than 1 needs a fixed PORT.' }),
  issuer: setting({ env: 'ISSUER', schema: z.url({ protocol: /^https?$/ }).refine((u) => !u.endsWith('/') && !u.includes('?') && !u.includes('#'), 'must not end with / or carry a query or fragment').optional(), default: undefined, doc: 'Public base URL, the `iss` of every token. Required in production; elsewhere the default is `http://localhost:$PORT`.' }),
  databaseUrl: setting({ env: 'DATABASE_URL', schema: z.string().min(1), default: 'var/porta.sqlite', doc: 'SQLite file path (or `sqlite:PATH`), or a `postgres://user:pass@host:5432/db` URL (TLS: add `?sslmode=verify-full`, `sslrootcert=/path/ca.pem`).', secret: true }),
  databasePoolMax: setting({ env: 'DATABASE_POOL_MAX', schema: int(1, 1000), default: 10, doc: 'PostgreSQL: most connections each process keeps open (SQLite uses one).' }),
  databaseStatementTimeoutMs: setting({ env: 'DATABASE_STATEMENT_TIMEOUT_MS', schema: int(0, 3600000), default: 30000, doc: 'PostgreSQL: a statement running longer than this is cancelled (0: no limit).' }),
  redisUrl: setting({ env: 'REDIS_URL', schema: z.string().refine((s) => s === '' || /^rediss?:\/\//.test(s), 'must be empty or a redis:// or rediss:// URL'), default: '', doc: 'Optional Redis (`redis://:pass@host:6379/0`, TLS: `rediss://`) for the rate-limit counters every instance shares; while it is unreachable the limits are counted in the database. Empty: in the database (enough for most installations; see "PostgreSQL and several instances").', secret: true }),
  redisKeyPrefix: setting({ env: 'REDIS_KEY_PREFIX', schema: z.string().min(1).max(100), default: 'porta:', doc: 'Put before every key Porta writes to Redis, so installations can share one Redis.' }),
  smtpUrl: setting({ env: 'SMTP_URL', schema: z.string(), default: '', doc: 'SMTP server, e.g. `smtp://user:pass@host:587`. Empty: mails are written as .eml files to MAIL_DIR, which production refuses unless MAIL_TRANSPORT=files.', secret: true }),
  mailTransport: setting({ env: 'MAIL_TRANSPORT', schema: z.enum(['smtp', 'files']).optional(), default: undefined, doc: '`smtp` (SMTP_URL) or `files` (.eml files in MAIL_DIR, no mail leaves the machine). Unset: `smtp` when SMTP_URL is set, else `files` — outside production only.' }),
  mailFrom: setting({ env: 'MAIL_FROM', schema: z.string().min(3), default: 'Porta <no-reply@localhost>', doc: 'Sender of every mail.' }),
  mailDir: setting({ env: 'MAIL_DIR', schema: z.string().min(1), default: 'var/mail', doc: 'Where mails go when SMTP_URL is empty (development).' }),
  cookieKeys: setting({ env: 'COOKIE_KEYS', schema: list.pipe(z.array(z.string().min(16, 'each key needs at least 16 characters')).min(1)), default: DEVELOPMENT_COOKIE_KEYS, doc: 'Comma-separated keys that sign cookies; the first signs, all verify (rotate by prepending).', secret: true }),
  keysEncryptionSecret: setting({ env: 'KEYS_ENCRYPTION_SECRET', schema: z.string().refine((s) => s === '' || s.length >= 32, 'must be empty or at least 32 characters'), default: '', doc: 'Private signing keys and authenticator-app secrets are stored encrypted (AES-256-GCM), link tokens and access codes as HMAC-SHA256, and pairwise subject identifiers and DPoP nonces derived, each with a key derived from it for its own purpose (changing it ends pending links and codes and changes every pairwise `sub`). Required in production; empty (development) stores the keys in the clear and uses fixed derived keys.', secret: true }),
  logLevel: setting({ env: 'LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info', doc: 'pino log level.' }),
  clientsFile: setting({ env: 'CLIENTS_FILE', schema: z.string(), default: 'config/clients.json', doc: 'JSON file of relying services (empty: none; clients can also be added with `porta clients add`).' }),
  federationFile: setting({ env: 'FEDERATION_FILE', schema: z.string(), default: DEFAULT_FEDERATION_FILE, doc: 'JSON file of the institutions (SAML IdPs, OIDC upstreams) people may sign in with (README, "Federation"). The default is read only when it exists; empty: no institutions.' }),
  resourceServers: setting({ env: 'RESOURCE_SERVERS', schema: resourceServers, default: '', doc: 'APIs that accept Porta access tokens, as JSON: resource indicator URL → `{"scope": "courses:read courses:write", "audience": "(optional)", "clients": ["(optional) the only client ids allowed"]}`. A token requested with `resource=` one of them is an ES256-signed JWT for that API.' }),
  responseTypes: setting({ env: 'RESPONSE_TYPES', schema: list.pipe(z.array(z.enum(['code', 'id_token', 'code id_token'])).min(1).refine((v) => new Set(v).size === v.length, 'each response type once')), default: ['code'], doc: 'Comma-separated OAuth response types offered to relying services (discovery lists only these, and `none`, which Porta\'s personal area uses; a client may register only these). `code` is the one the OAuth 2.0 Security BCP recommends; `id_token` and `code id_token` also need the `implicit` grant on the client.' }),
  outboundPrivateNetworks: setting({ env: 'OUTBOUND_PRIVATE_NETWORKS', schema: bool, default: false, doc: 'Let outgoing requests (back-channel logout, client JWKS) reach loopback and private addresses, for services on the campus network.' }),
  metricsPort: setting({ env: 'METRICS_PORT', schema: int(0, 65535), default: 0, doc: 'Port of a separate listener serving Prometheus metrics at /metrics (0: none). In cluster mode the primary serves it, summed over the workers.' }),
  metricsHost: setting({ env: 'METRICS_HOST', schema: z.string().min(1), default: '127.0.0.1', doc: 'Address the METRICS_PORT listener binds to (loopback by default: not reachable from outside).' }),
  metricsToken: setting({ env: 'METRICS_TOKEN', schema: z.string().refine((s) => s === '' || s.length >= 32, 'must be empty or at least 32 characters'), default: '', doc: 'When set, /metrics on the main port answers requests with `Authorization: Bearer <token>` (others get 404). Not with PORTA_WORKERS > 1: use METRICS_PORT there.', secret: true }),
  trustProxy: setting({ env: 'TRUST_PROXY', schema: bool, default: false, doc: 'Behind a TLS-terminating proxy: take the scheme from X-Forwarded-Proto and the client address from X-Forwarded-For (see TRUST_PROXY_HOPS). X-Forwarded-Host is never used: every URL comes from ISSUER.' }),
  trustProxyHops: setting({ env: 'TRUST_PROXY_HOPS', schema: int(1, 10), default: 1, doc: 'With TRUST_PROXY: how many proxies in front of Porta append to X-Forwarded-For. The client address is the entry this many from the right; entries left of it are written by the client and ignored.' }),
  defaultLocale: setting({ env: 'DEFAULT_LOCALE', schema: z.enum(['en', 'it']), default: 'en', doc: 'Language when the browser asks for none we have.' }),
  argon2MemoryKib: setting({ env: 'ARGON2_MEMORY_KIB', schema: int(19456, 4194304), default: 19456, doc: 'argon2id memory cost in KiB (OWASP minimum 19456).' }),
  argon2TimeCost: setting({ env: 'ARGON2_TIME_COST', schema: int(2, 100), default: 2, doc: 'argon2id iterations.' }),
  argon2Parallelism: setting({ env: 'ARGON2_PARALLELISM', schema: int(1, 16), default: 1, doc: 'argon2id lanes.' }),
  sessionTtlSeconds: setting({ env: 'SESSION_TTL_SECONDS', schema: int(60, 31536000), default: 1209600, doc: 'Absolute lifetime of a sign-in session (SSO), however much it is used; see SESSION_IDLE_TIMEOUT_MINUTES.' }),
  sessionIdleTimeoutMinutes: setting({ env: 'SESSION_IDLE_TIMEOUT_MINUTES', schema: int(0, 525600), default: 240, doc: 'A sign-in session not used (no sign-in to a service through it, no visit to the personal area) for this many minutes ends, within SESSION_TTL_SECONDS; the person signs in again. 0: only the absolute lifetime.' }),
  interactionTtlSeconds: setting({ env: 'INTERACTION_TTL_SECONDS', schema: int(60, 86400), default: 3600, doc: 'How long a person has to finish a sign-in page.' }),
  authorizationCodeTtlSeconds: setting({ env: 'AUTHORIZATION_CODE_TTL_SECONDS', schema: int(10, 600), default: 60, doc: 'Lifetime of an authorization code.' }),
  accessTokenTtlSeconds: setting({ env: 'ACCESS_TOKEN_TTL_SECONDS', schema: int(60, 86400), default: 3600, doc: 'Lifetime of an access token.' }),
  idTokenTtlSeconds: setting({ env: 'ID_TOKEN_TTL_SECONDS', schema: int(60, 86400), default: 3600, doc: 'Lifetime of an ID token.' }),
  refreshTokenTtlSeconds: setting({ env: 'REFRESH_TOKEN_TTL_SECONDS', schema: int(60, 31536000), default: 1209600, doc: 'Lifetime of a refresh token (rotated on every use).' }),
  registrationMode: setting({ env: 'REGISTRATION_MODE', schema: z.enum(['choose-credentials', 'assigned-code']), default: 'choose-credentials', doc: '`choose-credentials`: people pick username and password. `assigned-code`: Porta assigns the person code (the login name) and mails a link to set the password.' }),
  activationTtlHours: setting({ env: 'ACTIVATION_TTL_HOURS', schema: int(1, 720), default: 24, doc: 'How long an activation (or set-password) link is valid; unactivated registrations are deleted after it.' }),
  activationResendPerHour: setting({ env: 'ACTIVATION_RESEND_PER_HOUR', schema: int(1, 100), default: 3, doc: 'Activation emails one pending registration may be sent per hour.' }),
  registrationsPerIpPerHour: setting({ env: 'REGISTRATIONS_PER_IP_PER_HOUR', schema: int(1, 100000), default: 600, doc: 'Registrations and "didn’t get the email?" requests accepted per client IP per hour. Only what costs (a password hash, an account, an email) counts, not forms sent back for a typing mistake; sized for a campus behind one NAT on enrolment day. Over it, the form is shown again with what was typed.' }),
  registrationMinimumAge: setting({ env: 'REGISTRATION_MINIMUM_AGE', schema: int(0, 100), default: 16, doc: 'Youngest age (years) that may register.' }),
  privacyNoticeUrl: setting({ env: 'PRIVACY_NOTICE_URL', schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]), default: '', doc: 'Link to the privacy notice that registration asks people to accept. Empty: registration asks nothing about it (development only: production requires it).' }),
  noticesPerRecipientPerDay: setting({ env: 'NOTICES_PER_RECIPIENT_PER_DAY', schema: int(1, 1000), default: 5, doc: 'Unrequested notices (someone tried to register with the address, account locked, password or email changed) mailed to one address per day; more are dropped and logged.' }),
  phoneDefaultRegion: setting({ env: 'PHONE_DEFAULT_REGION', schema: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 country code such as IT'), default: 'IT', doc: 'Country assumed for phone numbers typed without an international prefix.' }),
  passwordResetTtlMinutes: setting({ env: 'PASSWORD_RESET_TTL_MINUTES', schema: int(5, 1440), default: 60, doc: 'How long a forgot-password link is valid (it works once).' }),
  passwordResetRequiresBirthdate: setting({ env: 'PASSWORD_RESET_REQUIRES_BIRTHDATE', schema: bool, default: false, doc: 'Ask for the date of birth, besides the emailed link, before a new password is set.' }),
  emailChangeTtlHours: setting({ env: 'EMAIL_CHANGE_TTL_HOURS', schema: int(1, 168), default: 24, doc: 'How long the link confirming a new email address is valid.' }),
  emailChangeReportTtlDays: setting({ env: 'EMAIL_CHANGE_REPORT_TTL_DAYS', schema: int(1, 90), default: 7, doc: 'How long the old address can use its "it wasn\'t me" link to stop (or undo) an email change.' }),
  passwordMaxAgeDays: setting({ env: 'PASSWORD_MAX_AGE_DAYS', schema: int(0, 3650), default: 365, doc: 'A password expires this many days after it was set (0: never); sign-in then asks for a new one. Federated accounts are exempt.' }),
  passwordExpiryWarningDays: setting({ env: 'PASSWORD_EXPIRY_WARNING_DAYS', schema: int(0, 365), default: 14, doc: 'From this many days before expiry, sign-in reminds people to change their password (0: no reminder).' }),
  selfServicePostsPerIpPerHour: setting({ env: 'SELF_SERVICE_POSTS_PER_IP_PER_HOUR', schema: int(1, 100000), default: 30, doc: 'Recovery and personal-area form posts accepted per client IP per hour, per form.' }),
  recoveryMailsPerAccountPerHour: setting({ env: 'RECOVERY_MAILS_PER_ACCOUNT_PER_HOUR', schema: int(1, 100), default: 3, doc: 'Forgot-password and forgot-username emails one account may be sent per hour (more requests get the same answer, no mail).' }),
  twoFactorEnrolmentCodeMinutes: setting({ env: 'TWO_FACTOR_ENROLMENT_CODE_MINUTES', schema: int(1, 1440), default: 15, doc: 'How long the code mailed to confirm setting up two-factor authentication (at sign-in or in the personal area) is valid.' }),
  twoFactorEnrolmentMailsPerAccountPerHour: setting({ env: 'TWO_FACTOR_ENROLMENT_MAILS_PER_ACCOUNT_PER_HOUR', schema: int(1, 100), default: 3, doc: 'Two-factor set-up codes one account may be mailed per hour.' }),
  timeZone: setting({ env: 'TIME_ZONE', schema: z.string().refine((tz) => { try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; } }, 'an IANA time zone such as Europe/Rome'), default: 'Europe/Rome', doc: 'Time zone of the dates and times shown on pages and in mails.' }),
  loginDelayAfterFailures: setting({ env: 'LOGIN_DELAY_AFTER_FAILURES', schema: int(1, 1000), default: 3, doc: 'After this many wrong passwords in a row an account answers only after a growing delay (1 s, 2 s, 4 s … up to a minute).' }),
  loginLockoutThreshold: setting({ env: 'LOGIN_LOCKOUT_THRESHOLD', schema: int(1, 1000), default: 10, doc: 'Wrong passwords in a row that lock an account temporarily (the holder is emailed).' }),
  loginLockoutMinutes: setting({ env: 'LOGIN_LOCKOUT_MINUTES', schema: int(1, 10080), default: 15, doc: 'How long a lockout lasts; `porta users unlock` lifts it sooner.' }),
  loginFailuresPerIpPer15Minutes: setting({ env: 'LOGIN_FAILURES_PER_IP_PER_15_MINUTES', schema: int(1, 1000000), default: 100, doc: 'Failed sign-ins accepted from one client IP per 15 minutes before it gets 429 (only failures count: a campus NAT signing in is not slowed).' }),
  loginAttemptsPerAccountPer15Minutes: setting({ env: 'LOGIN_ATTEMPTS_PER_ACCOUNT_PER_15_MINUTES', schema: int(1, 100000), default: 30, doc: 'Sign-in attempts for one login per 15 minutes, from any address, before every further one gets 429; attempts refused during a delay or lock count too, a successful sign-in gives its attempt back, and a password reset or `porta users unlock` clears it. Keep it above LOGIN_LOCKOUT_THRESHOLD.' }),
  tokenRequestsPerIpPerMinute: setting({ env: 'TOKEN_REQUESTS_PER_IP_PER_MINUTE', schema: int(0, 10000000), default: 3000, doc: 'Token-endpoint requests per client IP per minute, counted in the database (or Redis, REDIS_URL) and shared by every instance (0: no limit).' }),
  helpdeskContact: setting({ env: 'HELPDESK_CONTACT', schema: z.string().max(200), default: '', doc: 'How people reach the helpdesk (an email address, phone number or web address), told to a disabled account at sign-in and in the inactivity warning. Empty: "the university helpdesk".' }),
  accessCodeTtlDays: setting({ env: 'ACCESS_CODE_TTL_DAYS', schema: int(1, 365), default: 14, doc: 'How long an access code issued with `porta access-codes issue` is valid.' }),
  accessCodeMaxAttempts: setting({ env: 'ACCESS_CODE_MAX_ATTEMPTS', schema: int(1, 20), default: 5, doc: 'Wrong entries after which an access code stops working (the helpdesk then issues a new one).' }),
  accessCodeContact: setting({ env: 'ACCESS_CODE_CONTACT', schema: z.string().max(200), default: '', doc: 'Where people without an access code ask for one (an email address or web address), shown on the access code page. Empty: HELPDESK_CONTACT.' }),
  inactiveAfterDays: setting({ env: 'INACTIVE_AFTER_DAYS', schema: int(0, 3650), default: 365, doc: 'An account not used (no sign-in since it was activated, last signed in or re-enabled) for this many days is cancelled by `porta purge`: warned, disabled, then deleted. 0: never.' }),
  inactiveRule: setting({ env: 'INACTIVE_RULE', schema: z.enum(['days', 'calendar-year']), default: 'days', doc: '`days`: INACTIVE_AFTER_DAYS after the last use. `calendar-year`: the portal rule, an account last used in a year and not used in the following year is cancelled on 1 January after that (in TIME_ZONE). Either way INACTIVE_AFTER_DAYS=0 turns cancelling off.' }),
  inactiveUserTypes: setting({ env: 'INACTIVE_USER_TYPES', schema: list.pipe(z.array(z.enum(['internal', 'external', 'federated'])).min(1)), default: ['external'], doc: 'Comma-separated user types whose unused accounts are cancelled (internal accounts are managed by the university\'s own records).' }),
  inactiveWarningDays: setting({ env: 'INACTIVE_WARNING_DAYS', schema: int(0, 365), default: 30, doc: 'Days before an unused account is disabled that its holder is emailed a warning (0: no warning). The account is never disabled sooner than this after the warning.' }),
  inactiveGraceDays: setting({ env: 'INACTIVE_GRACE_DAYS', schema: int(0, 3650), default: 90, doc: 'Days an account disabled for inactivity is kept (the helpdesk can re-enable it) before `porta purge` deletes it.' }),
  samlSpEntityId: setting({ env: 'SAML_SP_ENTITY_ID', schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]), default: '', doc: 'entityID of Porta as a SAML service provider, as institutions and federations register it. Empty: `${ISSUER}/saml/metadata`, the address of its metadata.' }),
  samlSpKeyOverlapDays: setting({ env: 'SAML_SP_KEY_OVERLAP_DAYS', schema: int(0, 365), default: 30, doc: 'After `porta federation rotate-sp-keys`, how many days the old SAML certificates stay in the metadata (and the old encryption key still decrypts), while federations and IdPs refresh their copy.' }),
  samlSpCertificateDays: setting({ env: 'SAML_SP_CERTIFICATE_DAYS', schema: int(30, 36500), default: 3650, doc: 'Validity of the self-signed SAML SP certificates (SAML pins the key, so the dates are informative; rotate with `porta federation rotate-sp-keys`).' }),
  samlSpDisplayNameEn: setting({ env: 'SAML_SP_DISPLAY_NAME_EN', schema: z.string().min(1).max(200), default: 'Porta', doc: 'English name of the service in the SAML metadata (mdui:DisplayName), shown by institutions\' login pages.' }),
  samlSpDisplayNameIt: setting({ env: 'SAML_SP_DISPLAY_NAME_IT', schema: z.string().max(200), default: '', doc: 'Italian mdui:DisplayName. Empty: the English one.' }),
  samlSpDescriptionEn: setting({ env: 'SAML_SP_DESCRIPTION_EN', schema: z.string().max(500), default: 'Sign-in service of the university', doc: 'English mdui:Description of the service in the SAML metadata.' }),
  samlSpDescriptionIt: setting({ env: 'SAML_SP_DESCRIPTION_IT', schema: z.string().max(500), default: 'Servizio di accesso dell\'università', doc: 'Italian mdui:Description.' }),
  samlSpLogoUrl: setting({ env: 'SAML_SP_LOGO_URL', schema: z.union([z.literal(''), z.url({ protocol: /^https$/ })]), default: '', doc: 'HTTPS address of the logo in the SAML metadata (mdui:Logo). Empty: no logo.' }),
  samlSpLogoWidth: setting({ env: 'SAML_SP_LOGO_WIDTH', schema: int(1, 10000), default: 80, doc: 'Width in pixels of SAML_SP_LOGO_URL.' }),
  samlSpLogoHeight: setting({ env: 'SAML_SP_LOGO_HEIGHT', schema: int(1, 10000), default: 60, doc: 'Height in pixels of SAML_SP_LOGO_URL.' }),
  samlSpPrivacyUrl: setting({ env: 'SAML_SP_PRIVACY_URL', schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]), default: '', doc: 'Privacy statement in the SAML metadata (mdui:PrivacyStatementURL). Empty: PRIVACY_NOTICE_URL.' }),
  samlSpEntityCategories: setting({ env: 'SAML_SP_ENTITY_CATEGORIES', schema: list.pipe(z.array(z.url())), default: [], doc: 'Comma-separated entity categories the SP metadata claims (e.g. `http://refeds.org/category/research-and-scholarship`), as the federation approved them. Empty: none.' }),
  samlSpTechnicalContact: setting({ env: 'SAML_SP_TECHNICAL_CONTACT', schema: z.union([z.literal(''), z.email()]), default: '', doc: 'Email address of the technical contact in the SAML metadata.' }),
  samlSpSupportContact: setting({ env: 'SAML_SP_SUPPORT_CONTACT', schema: z.union([z.literal(''), z.email()]), default: '', doc: 'Email address of the support contact in the SAML metadata.' }),
  samlSpSecurityContact: setting({ env: 'SAML_SP_SECURITY_CONTACT', schema: z.union([z.literal(''), z.email()]), default: '', doc: 'Email address of the security contact (REFEDS SIRTFI) in the SAML metadata.' }),
  keysRefreshSeconds: setting({ env: 'KEYS_REFRESH_SECONDS', schema: int(0, 3600), default: 10, doc: 'How often each instance checks the database for new signing keys (`porta keys rotate`) and starts signing with them (0: only at start).' }),
  sweepIntervalSeconds: setting({ env: 'SWEEP_INTERVAL_SECONDS', schema: int(0, 86400), default: 60, doc: 'How often expired rows are deleted (0 disables the sweep).' }),
  backchannelLogoutIntervalSeconds: setting({ env: 'BACKCHANNEL_LOGOUT_INTERVAL_SECONDS', schema: int(1, 3600), default: 2, doc: 'How often each instance sends the back-channel logouts owed to services for sessions Porta ended itself (password reset or change, disable, delete, "it wasn\'t me").' }),
  sweepBatchSize: setting({ env: 'SWEEP_BATCH_SIZE', schema: int(1, 100000), default: 500, doc: 'Most rows the sweep deletes per statement. On SQLite it runs in a background thread and also shrinks its batches to about 5 ms each, so requests seldom wait long behind it.' }),
} as const;

export type SettingName = keyof typeof settings;
type Output<K extends SettingName> = z.output<(typeof settings)[K]['schema']>;
export type Config = { readonly [K in SettingName]: Output<K> };
