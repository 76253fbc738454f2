/**
 * Passkeys and security keys in a real browser: Chromium's virtual authenticator (CDP) plays the key.
 * Added in the personal area after the password and a current code; used at the sign-in's second-factor
 * step of a service that requires two-factor authentication (the ID token says so); a second one; a
 * removed one no longer works; a key whose counter went backwards (a clone) is refused. The issuer is
 * http://localhost:PORT: WebAuthn accepts localhost as a secure origin, never a bare IP.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { CDPSession, Page as PwPage } from 'playwright-core';
import { fromRoot } from '../src/paths.js';
import { newTotpSecret } from '../src/mfa/totp.js';
import { Browser } from './helpers/browser.js';
import { callbackListener, launchChromium, type ChromiumSession } from './helpers/chromium.js';
import { StillClock } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { freePort } from './helpers/process.js';
import { relyingParty, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';
import { totp } from './helpers/totp.js';

jest.setTimeout(90_000);
let porta: TestPorta;
let smtp: SmtpCatcher;
let rp: Rp;
let callback: Awaited<ReturnType<typeof callbackListener>>;
let chromium: ChromiumSession;
let page: PwPage;
let cdp: CDPSession;
let authenticatorId: string;

const account = { id: '', login: '', email: '', secret: newTotpSecret() };

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  callback = await callbackListener();
  // The service that requires 2FA (tuition), its redirect URI the real listener.
  const dir = mkdtempSync(join(tmpdir(), 'porta-test-'));
  const clients = (JSON.parse(readFileSync(fromRoot('test/fixtures/clients.json'), 'utf8')) as { client_id: string; redirect_uris: string[] }[])
    .map((c) => (c.client_id === 'tuition' ? { ...c, redirect_uris: [callback.url] } : c));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clients));
  const port = await freePort();
  porta = await startPorta(
    { port, issuer: `http://localhost:${port}`, clientsFile: join(dir, 'clients.json'), smtpUrl: smtp.url, selfServicePostsPerIpPerHour: 1000 },
    { dir, clock: new StillClock() },
  );
  rp = await relyingParty(porta.issuer, 'tuition', 'test-tuition-secret-0123456789abcdefghij', callback.url);
  const created = await porta.createAccount({ email: `passkey.${Date.now()}@example.org` });
  account.id = created.id;
  account.login = created.username!;
  account.email = created.email!;
  await porta.services.secondFactors.addTotp(created.id, 'My phone', account.secret, 0);
  await porta.services.secondFactors.recoveryCodes.regenerate(created.id);
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  cdp = await chromium.context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  authenticatorId = await addAuthenticator();
});
afterAll(async () => {
  await chromium?.close();
  await porta?.stop();
  await callback?.close();
  await smtp?.stop();
});

/** A security key on USB; `synced`: a passkey whose key is backed up (copied off the device). */
async function addAuthenticator(synced = false): Promise<string> {
  const { authenticatorId: id } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: synced ? 'internal' : 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
      ...(synced ? { defaultBackupEligibility: true, defaultBackupState: true } : {}),
    },
  });
  return id;
}

/** A code never used before: the clock moves one step on. */
function nextCode(): string {
  porta.clock.advance(30_000);
  return totp(account.secret, porta.clock.now());
}

async function signInForm() {
  await page.getByLabel('Username or person code').fill(account.login);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Adds a passkey in the personal area: the name, the password and a code, then the browser creates it. */
async function addPasskey(name: string, code?: string) {
  await chromium.context.clearCookies();
  await page.goto(`${porta.issuer}/account/two-factor`);
  await signInForm();
  await page.getByRole('link', { name: 'Add a passkey or security key' }).click();
  await page.getByLabel('A name for this passkey').fill(name);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByLabel('Code from your app, or a recovery code').fill(code ?? nextCode());
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Create the passkey' }).click();
  await page.waitForURL(/\/account\/two-factor\?done=passkey_added$/);
}

/** From the service to the second-factor step, with a fresh password sign-in. */
async function toSecondFactor() {
  await chromium.context.clearCookies();
  const pending = await rp.authorize();
  await page.goto(pending.url);
  await signInForm();
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  return pending;
}

const methodRows = async () => (await page.locator('table.methods tbody tr').allInnerTexts()).map((r) => r.split('\t').slice(0, 2).join(' | '));

test('a passkey added in the personal area after the password and a code is listed, and its holder is mailed', async () => {
  await addPasskey('Laptop');
  expect(await page.getByRole('status').textContent()).toBe('The passkey was added.');
  expect(await methodRows()).toEqual(['My phone | Authenticator app', 'Laptop | Passkey or security key']);
  const mail = await smtp.last(account.email, 1);
  expect(mail.text).toContain('Laptop');
});

test('the password alone cannot add a passkey: a sign-in challenge from a change page is refused for a registration', async () => {
  // Someone who has only the password signs in to the personal area and opens a change page, which
  // carries a challenge for proving an existing passkey; they have the browser register a key of
  // their own over it and post that straight to the end of "add a passkey", skipping the re-proof.
  await chromium.context.clearCookies();
  await page.goto(`${porta.issuer}/account/two-factor`);
  await signInForm();
  await page.getByRole('link', { name: 'Rename Laptop' }).click();
  const outcome = await page.evaluate(async () => {
    const form = document.querySelector<HTMLFormElement>('form[data-passkey="authenticate"]')!;
    const { challenge } = JSON.parse(form.dataset.options!) as { challenge: string };
    const csrf = form.querySelector<HTMLInputElement>('input[name="_csrf"]')!.value;
    const { startRegistration } = await import('/static/simplewebauthn/index.js' as string) as {
      startRegistration: (o: { optionsJSON: unknown }) => Promise<unknown>;
    };
    const created = await startRegistration({
      optionsJSON: {
        challenge, rp: { id: location.hostname, name: 'Porta' }, user: { id: 'dGhpZWY', name: 'thief', displayName: 'thief' },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }], attestation: 'none', excludeCredentials: [],
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      },
    });
    const answer = await fetch('/account/two-factor/passkey/finish', {
      method: 'POST', body: new URLSearchParams({ _csrf: csrf, response: JSON.stringify(created) }),
    });
    return { status: answer.status, url: answer.url, id: (created as { id: string }).id };
  });
  // The thief's credential goes from the virtual key, so later tests' ceremonies never meet it.
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: Buffer.from(outcome.id, 'base64url').toString('base64') });
  expect(outcome.status).toBe(422);
  expect(outcome.url).not.toContain('done=passkey_added');
  await page.goto(`${porta.issuer}/account/two-factor`);
  expect(await methodRows()).toEqual(['My phone | Authenticator app', 'Laptop | Passkey or security key']);
});

test('a service that requires 2FA: password, then the passkey; the ID token says hwk and the REFEDS MFA profile', async () => {
  const pending = await toSecondFactor();
  expect(await page.getByText('Or use a passkey or security key you added to your account.').isVisible()).toBe(true);
  const hits = callback.hits.length;
  await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
  await page.getByRole('heading', { name: 'Back at the service' }).waitFor();
  const tokens = await rp.callback(callback.hits[hits]!.href, pending);
  const claims = tokens.claims()!;
  expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'mfa']));
  expect(claims.acr).toBe('https://refeds.org/profile/mfa');
});

test('without JavaScript the step says a passkey needs it and offers the code', async () => {
  const browser = new Browser(porta.issuer);
  const pending = await rp.authorize();
  const signIn = await browser.go(pending.url);
  const step = await browser.submit(signIn, /\/login$/, { login: account.login, password: TEST_PASSWORD });
  expect(step.body).toContain('<noscript><p class="notice">A passkey or security key needs JavaScript, which is off in this browser. Use a code from your authenticator app or a recovery code instead.</p></noscript>');
  expect(step.body).toContain('<label for="f-code">Code</label>');
  // The passkey's form (and what it says) stays hidden until the script shows it.
  expect(step.body).toMatch(/<form [^>]*data-passkey="authenticate"[^>]* hidden>\s*<p>Or use a passkey or security key you added to your account.<\/p>/);
});

let firstKey: { credentialId: string; privateKey: string; isResidentCredential: boolean; rpId?: string; userHandle?: string; signCount: number };

test('a second passkey on another key: both listed, the new one signs in', async () => {
  firstKey = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0] as typeof firstKey;
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  authenticatorId = await addAuthenticator();
  await addPasskey('Blue key');
  expect(await methodRows()).toEqual(['My phone | Authenticator app', 'Laptop | Passkey or security key', 'Blue key | Passkey or security key']);

  const pending = await toSecondFactor();
  const hits = callback.hits.length;
  await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
  await page.getByRole('heading', { name: 'Back at the service' }).waitFor();
  expect((await rp.callback(callback.hits[hits]!.href, pending)).claims()!.amr).toContain('hwk');
});

test('a passkey removed meanwhile no longer works: the step says so and offers it again', async () => {
  await toSecondFactor();
  // Elsewhere, the holder removes "Blue key" (the password and a code again).
  const other = new Browser(porta.issuer);
  const signIn = await other.go('/account/two-factor');
  const list = await other.submit(signIn, /\/login$/, { login: account.login, password: TEST_PASSWORD });
  // Renaming works for a passkey as for an app.
  const rename = /href="(\/account\/two-factor\/[\w-]+\/rename)" aria-label="Rename Laptop"/.exec(list.body)![1]!;
  const mailsBefore = smtp.to(account.email).length;
  const renamed = await other.submit(await other.go(rename), /\/rename$/, { name: 'Work laptop', password: TEST_PASSWORD, code: nextCode() });
  expect(renamed.url).toMatch(/done=renamed$/);
  expect(renamed.body).toContain('<td>Work laptop</td><td>Passkey or security key</td>');
  const blue = /href="(\/account\/two-factor\/[\w-]+\/remove)" aria-label="Remove Blue key"/.exec(list.body)![1]!;
  const removed = await other.submit(await other.go(blue), /\/remove$/, { password: TEST_PASSWORD, code: nextCode() });
  expect(removed.url).toMatch(/done=removed$/);
  // Two notices: the rename, then the removal (mails may arrive in either order).
  await smtp.last(account.email, mailsBefore + 2);
  const notice = smtp.to(account.email).slice(mailsBefore).find((m) => m.subject === 'A sign-in method was removed from your university account');
  expect(notice?.text).toContain('The second factor "Blue key" was removed from your account.');

  await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
  expect(await page.getByRole('alert').first().textContent()).toContain('The passkey or security key was not accepted. Try again, or use a code.');
});

test('a key whose signature counter went backwards (a copy) is refused', async () => {
  // The first key comes back with its counter reset: its next signature counts lower than Porta saw.
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  authenticatorId = await addAuthenticator();
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...firstKey, signCount: 0 } });
  await toSecondFactor();
  await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
  expect(await page.getByRole('alert').first().textContent()).toContain('The passkey or security key was not accepted. Try again, or use a code.');
  // The same key with a counter ahead of Porta's is accepted again.
  await cdp.send('WebAuthn.clearCredentials', { authenticatorId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...firstKey, signCount: firstKey.signCount + 10 } });
  await toSecondFactor();
  await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
  await page.getByRole('heading', { name: 'Back at the service' }).waitFor();
});

test('a change in the personal area can be re-proved with the password and a passkey instead of a code', async () => {
  await chromium.context.clearCookies();
  await page.goto(`${porta.issuer}/account/two-factor`);
  await signInForm();
  await page.getByRole('link', { name: 'Remove My phone' }).click();
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Confirm with a passkey instead of the code' }).click();
  await page.waitForURL(/\/account\/two-factor\?done=removed$/);
  expect(await methodRows()).toEqual(['Work laptop | Passkey or security key']);
});

test('a synced passkey (its key backed up off the device) signs in as a software key: amr swk', async () => {
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  authenticatorId = await addAuthenticator(true);
  // The app is gone: this change is re-proved with the password and a recovery code.
  const [code] = await porta.services.secondFactors.recoveryCodes.regenerate(account.id);
  await addPasskey('Phone passkey', code);
  const pending = await toSecondFactor();
  // Meanwhile a page of the personal area elsewhere makes a challenge of its own: it spoils nothing here.
  const other = new Browser(porta.issuer);
  await other.submit(await other.go('/account/two-factor'), /\/login$/, { login: account.login, password: TEST_PASSWORD });
  expect((await other.go('/account/two-factor/recovery-codes')).body).toContain('data-passkey="authenticate"');
  const hits = callback.hits.length;
  await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
  await page.getByRole('heading', { name: 'Back at the service' }).waitFor();
  const claims = (await rp.callback(callback.hits[hits]!.href, pending)).claims()!;
  expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'swk', 'mfa']));
  expect(claims.amr).not.toContain('hwk');
  expect(claims.acr).toBe('https://refeds.org/profile/mfa');
});
