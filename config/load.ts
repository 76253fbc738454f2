/**
 * Configuration: defaults ← config file (PORTA_CONFIG, default config/porta.json when present) ← environment.
 * Every bad key is reported at once; the result is validated, typed and frozen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DEVELOPMENT_COOKIE_KEYS, settings, type Config, type SettingName } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  /** Settings given directly (tests, CLI); they win over file and environment. */
  overrides?: Partial<Record<SettingName, unknown>>;
  file?: string;
}

function readFile(path: string, problems: string[]): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    problems.push(`${path}: must hold a JSON object`);
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
  }
  return {};
}

export function loadConfig({ env = process.env, overrides = {}, file }: LoadOptions = {}): Config {
  const problems: string[] = [];
  const path = file ?? env.PORTA_CONFIG ?? (existsSync('config/porta.json') ? 'config/porta.json' : undefined);
  const fromFile = path ? readFile(path, problems) : {};
  for (const key of Object.keys(fromFile)) {
    if (!(key in settings)) problems.push(`${path}: unknown setting "${key}"`);
  }

  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings) as [SettingName, (typeof settings)[SettingName]][]) {
    const fromEnv = env[s.env];
    // An empty variable empties a text setting (CLIENTS_FILE='' means no file); for numbers and switches it means unset.
    const envCounts = fromEnv !== undefined && (fromEnv !== '' || typeof s.default === 'string');
    const raw = name in overrides ? overrides[name] : envCounts ? fromEnv : name in fromFile ? fromFile[name] : s.default;
    const result = s.schema.safeParse(raw);
    if (result.success) out[name] = result.data;
    else {
      const shown = s.secret ? '(hidden)' : JSON.stringify(raw);
      problems.push(`${s.env}: ${result.error.issues.map((i) => i.message).join('; ')} (got ${shown})`);
    }
  }
  if (problems.length === 0) {
    resolveDefaults(out);
    problems.push(...mailProblems(out), ...(out.nodeEnv === 'production' ? productionProblems(out) : developmentProblems(out)));
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}

/** Defaults that depend on other settings. */
function resolveDefaults(out: Record<string, unknown>): void {
  // Development serves a demo account with a published password: this machine only, unless asked.
  if (out.host === '') out.host = out.nodeEnv === 'production' ? '0.0.0.0' : '127.0.0.1';
}

function mailProblems(out: Record<string, unknown>): string[] {
  if (out.mailTransport === 'smtp' && !out.smtpUrl) return ['MAIL_TRANSPORT: smtp needs SMTP_URL'];
  if (out.mailTransport === 'files' && out.smtpUrl) return ['MAIL_TRANSPORT: files would ignore SMTP_URL; set one of them'];
  return [];
}

/** Production refuses every fail-open default: development secrets, a guessed issuer, mail that goes nowhere. */
function productionProblems(out: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const keys = out.cookieKeys as string[];
  if (keys.some((k) => DEVELOPMENT_COOKIE_KEYS.includes(k))) problems.push('COOKIE_KEYS: production refuses the development cookie keys; set your own (at least 32 random characters each)');
  if (keys.some((k) => k.length < 32)) problems.push('COOKIE_KEYS: in production each key needs at least 32 characters');
  if (!out.issuer) problems.push('ISSUER: production needs the public base URL (e.g. https://login.example.edu); every token names it');
  if (!out.keysEncryptionSecret) problems.push('KEYS_ENCRYPTION_SECRET: production stores signing keys encrypted; set at least 32 random characters');
  // Registration (always on) collects personal data: people must be able to read what is done with it.
  if (!out.privacyNoticeUrl) problems.push('PRIVACY_NOTICE_URL: production needs the privacy notice that registration links to');
  if (!out.smtpUrl && out.mailTransport === undefined) problems.push('SMTP_URL: production needs an SMTP server (or MAIL_TRANSPORT=files to write mails to MAIL_DIR on purpose)');
  return problems;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3})$/i;

function developmentProblems(out: Record<string, unknown>): string[] {
  if (out.nodeEnv !== 'development' || out.allowDevelopmentOnNetwork || LOOPBACK.test(out.host as string)) return [];
  return [`HOST: development mode (demo account with a published password, public cookie keys) listens only on loopback; set NODE_ENV=production, or ALLOW_DEVELOPMENT_ON_NETWORK=true to serve ${String(out.host)} anyway`];
}
