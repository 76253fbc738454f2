/**
 * Stored link tokens and access codes are HMACs keyed from KEYS_ENCRYPTION_SECRET: a copy of the database
 * without the secret cannot confirm a guess. Rows stored before keyed hashing (plain SHA-256) still work,
 * once, until they expire.
 */
import { createHash } from 'node:crypto';
import { Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { relyingParty, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';
import { AccessCodes } from '../src/flows/access-code.js';
import { TokenHasher } from '../src/flows/flows.js';
import type { Account } from '../src/accounts/account.js';

const SECRET = 'token-hashing-test-secret-0123456789abcdef';
const NEW_PASSWORD = 'Sentiero di montagna 77';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let smtp: SmtpCatcher;
let porta: TestPorta;
let portal: Rp;

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  porta = await startPorta({ smtpUrl: smtp.url, keysEncryptionSecret: SECRET, selfServicePostsPerIpPerHour: 1000, recoveryMailsPerAccountPerHour: 100 });
  portal = await relyingParty(porta.issuer, 'partner-portal', 'test-partner-portal-secret-0123456789abcd', 'http://rp.test/partner-portal/cb');
});
afterAll(async () => {
  await porta.stop();
  await smtp.stop();
});

async function resetToken(account: Account): Promise<string> {
  const browser = new Browser(porta.issuer);
  const form = await browser.go('/recover/password');
  await browser.submit(form, '/recover/password', { identifier: account.username! });
  const mail = await smtp.last(account.email!);
  const link = mail.links.find((l) => l.includes('/recover/password/reset?token='))!;
  return new URL(link).searchParams.get('token')!;
}

async function resetWith(token: string) {
  const browser = new Browser(porta.issuer);
  const form = await browser.go(`/recover/password/reset?token=${token}`);
  if (form.status !== 200) return form;
  return browser.submit(form, '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
}

async function storedHash(accountId: string, kind: string): Promise<string> {
  const rows = (await porta.services.db('flows').where({ account_id: accountId, kind }).select('token_hash')) as { token_hash: string }[];
  expect(rows).toHaveLength(1);
  return rows[0]!.token_hash;
}

async function codePage(account: Account) {
  const browser = new Browser(porta.issuer);
  const login = await browser.go((await portal.authorize({ scope: 'openid' })).url);
  const page = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
  expect(page.url).toMatch(/\/access_code$/);
  return { browser, page };
}

describe('link tokens', () => {
  test('the stored value is not the SHA-256 of the token', async () => {
    const account = await porta.createAccount();
    const token = await resetToken(account);
    const stored = await storedHash(account.id, 'password_reset');
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toBe(sha256(`password_reset:${token}`));
    expect(stored).not.toBe(sha256(token));
  });

  test('a link stored before keyed hashing works once', async () => {
    const account = await porta.createAccount();
    const token = await resetToken(account);
    await porta.services.db('flows').where({ account_id: account.id, kind: 'password_reset' }).update({ token_hash: sha256(`password_reset:${token}`) });

    expect((await resetWith(token)).body).toContain('<h1>Your password has been changed</h1>');
    const again = await resetWith(token);
    expect(again.status).toBe(410);
    expect(again.body).toContain('<h1>This link was already used</h1>');
  });
});

describe('access codes', () => {
  const issue = async (account: Account) => (await new AccessCodes(porta.services).issue(account, 'partner-portal')).code;

  test('a database copy without the secret cannot confirm a guessed code', async () => {
    const account = await porta.createAccount({ userType: 'external' });
    const code = await issue(account);
    const stored = await storedHash(account.id, 'access_code');
    // Whoever holds the row but not the secret tries the right code every way they could hash it.
    expect(stored).not.toBe(sha256(`access_code:${code}`));
    expect(stored).not.toBe(sha256(code));
    expect(new TokenHasher('').candidates('access_code', code)).not.toContain(stored);
    expect(new TokenHasher('another-secret-of-at-least-32-characters').candidates('access_code', code)).not.toContain(stored);
    // With the secret it is the code's hash, and the code lets the person in.
    expect(new TokenHasher(SECRET).hash('access_code', code)).toBe(stored);
    const { browser, page } = await codePage(account);
    const consent = await browser.submit(page, /\/access_code$/, { code });
    expect(consent.body).toContain('Partner portal asks to:');
  });

  test('a code stored before keyed hashing works once', async () => {
    const account = await porta.createAccount({ userType: 'external' });
    const code = await issue(account);
    await porta.services.db('flows').where({ account_id: account.id, kind: 'access_code' }).update({ token_hash: sha256(`access_code:${code}`) });

    const { browser, page } = await codePage(account);
    const consent = await browser.submit(page, /\/access_code$/, { code });
    expect(consent.body).toContain('Partner portal asks to:');
    expect(await new AccessCodes(porta.services).verify(account.id, 'partner-portal', code)).toEqual({ ok: false, problem: 'access_code.used' });
  });
});
