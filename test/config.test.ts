/** Configuration: a bad setting stops the start with a message naming it; production refuses development secrets. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/load.js';
import { DEVELOPMENT_COOKIE_KEYS } from '../config/schema.js';
import { fromRoot } from '../src/paths.js';
import { startPorta } from './helpers/porta.js';

const problems = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

test('defaults give a working development configuration', () => {
  const config = loadConfig({ env: {}, file: '' });
  expect(config).toMatchObject({ port: 3000, databaseUrl: 'var/porta.sqlite', nodeEnv: 'development', argon2MemoryKib: 19456, argon2TimeCost: 2, argon2Parallelism: 1 });
  expect(Object.isFrozen(config)).toBe(true);
});

test('environment variables override the file, and every bad value is reported at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'porta-config-'));
  const file = join(dir, 'porta.json');
  writeFileSync(file, JSON.stringify({ port: 4000, logLevel: 'debug' }));
  expect(loadConfig({ env: { PORT: '5000' }, file })).toMatchObject({ port: 5000, logLevel: 'debug' });

  const found = problems(() => loadConfig({ env: { PORT: 'abc', LOG_LEVEL: 'loud', ISSUER: 'ftp://x' }, file }));
  expect(found).toHaveLength(3);
  expect(found.join('\n')).toMatch(/^PORT: .*"abc"/m);
  expect(found.join('\n')).toMatch(/^LOG_LEVEL: /m);
  expect(found.join('\n')).toMatch(/^ISSUER: /m);
});

test('an unknown key in the file is an error, and secrets are never echoed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'porta-config-'));
  const file = join(dir, 'porta.json');
  writeFileSync(file, JSON.stringify({ prot: 1 }));
  expect(problems(() => loadConfig({ env: {}, file }))).toEqual([`${file}: unknown setting "prot"`]);
  const found = problems(() => loadConfig({ env: { COOKIE_KEYS: 'short' }, file: '' }));
  expect(found[0]).toMatch(/^COOKIE_KEYS: .*\(got \(hidden\)\)/);
  expect(found[0]).not.toContain('short"');
});

const PRODUCTION = {
  cookieKeys: 'a-real-production-key-of-32-chars-or-more', issuer: 'https://login.example.edu',
  keysEncryptionSecret: 'a-keys-encryption-secret-of-32-chars-or-more', smtpUrl: 'smtp://127.0.0.1:2525',
  privacyNoticeUrl: 'https://uni.example/privacy',
};

test('production refuses to guess: no ISSUER, no KEYS_ENCRYPTION_SECRET, no SMTP_URL are each named, secrets not echoed', () => {
  const found = problems(() => loadConfig({ env: { NODE_ENV: 'production', COOKIE_KEYS: PRODUCTION.cookieKeys }, file: '' })).join('\n');
  expect(found).toMatch(/^ISSUER: production needs the public base URL/m);
  expect(found).toMatch(/^KEYS_ENCRYPTION_SECRET: production stores signing keys encrypted/m);
  expect(found).toMatch(/^SMTP_URL: production needs an SMTP server \(or MAIL_TRANSPORT=files/m);
  expect(found).not.toContain(PRODUCTION.cookieKeys);
  const env = { NODE_ENV: 'production', COOKIE_KEYS: PRODUCTION.cookieKeys, ISSUER: PRODUCTION.issuer, KEYS_ENCRYPTION_SECRET: PRODUCTION.keysEncryptionSecret, PRIVACY_NOTICE_URL: PRODUCTION.privacyNoticeUrl };
  expect(loadConfig({ env: { ...env, MAIL_TRANSPORT: 'files' }, file: '' })).toMatchObject({ mailTransport: 'files', host: '0.0.0.0' });
  expect(problems(() => loadConfig({ env: { ...env, MAIL_TRANSPORT: 'smtp' }, file: '' }))).toEqual(['MAIL_TRANSPORT: smtp needs SMTP_URL']);
});

test('development listens on loopback, and refuses another HOST unless asked to', () => {
  expect(loadConfig({ env: {}, file: '' }).host).toBe('127.0.0.1');
  expect(problems(() => loadConfig({ env: { HOST: '0.0.0.0' }, file: '' })).join('\n')).toMatch(/^HOST: development mode .* listens only on loopback; set NODE_ENV=production, or ALLOW_DEVELOPMENT_ON_NETWORK=true/m);
  expect(loadConfig({ env: { HOST: '0.0.0.0', ALLOW_DEVELOPMENT_ON_NETWORK: 'true' }, file: '' }).host).toBe('0.0.0.0');
  expect(loadConfig({ env: { HOST: '::1' }, file: '' }).host).toBe('::1');
});

test('production refuses the development cookie keys and the shipped client secrets', async () => {
  expect(problems(() => loadConfig({ env: { NODE_ENV: 'production', COOKIE_KEYS: DEVELOPMENT_COOKIE_KEYS.join(',') }, file: '' })).join('\n'))
    .toMatch(/COOKIE_KEYS: production refuses the development cookie keys/);
  await expect(startPorta({ nodeEnv: 'production', ...PRODUCTION, clientsFile: fromRoot('config/clients.json') }))
    .rejects.toThrow(/admissions\): production refuses a development example secret/);
});

test('production requires the privacy notice that registration links to', () => {
  const production = { NODE_ENV: 'production', COOKIE_KEYS: PRODUCTION.cookieKeys, ISSUER: PRODUCTION.issuer, KEYS_ENCRYPTION_SECRET: PRODUCTION.keysEncryptionSecret, SMTP_URL: PRODUCTION.smtpUrl, CLIENTS_FILE: '' };
  expect(problems(() => loadConfig({ env: production, file: '' }))).toEqual(['PRIVACY_NOTICE_URL: production needs the privacy notice that registration links to']);
  expect(loadConfig({ env: { ...production, PRIVACY_NOTICE_URL: 'https://uni.example/privacy' }, file: '' }).privacyNoticeUrl).toBe('https://uni.example/privacy');
});

test('the server process exits with a one-line reason on a bad setting', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('src/main.ts')], {
    env: { ...process.env, PORT: 'not-a-port', NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 20000,
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/porta: Invalid configuration:\n\s+- PORT: .*"not-a-port"/);
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

test('health and readiness endpoints', async () => {
  const porta = await startPorta();
  try {
    const health = await fetch(`${porta.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${porta.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
  } finally {
    await porta.stop();
  }
});

test('an empty variable empties a setting where empty means something, and is ignored elsewhere', () => {
  const config = loadConfig({ env: { CLIENTS_FILE: '', SMTP_URL: '', PORT: '' }, file: '' });
  expect(config.clientsFile).toBe('');
  expect(config.port).toBe(3000);
});
