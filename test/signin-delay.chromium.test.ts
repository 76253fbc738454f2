/**
 * In a real browser, during the growing delay after wrong passwords: the right and a wrong password get
 * the very same message, which says to wait, never "Invalid username or password".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { alertText, Browser } from './helpers/browser.js';
import { launchChromium, type ChromiumSession } from './helpers/chromium.js';
import { StillClock } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';

jest.setTimeout(60_000);
let porta: TestPorta;
let rp: Rp;
let chromium: ChromiumSession;

beforeAll(async () => {
  porta = await startPorta({ loginDelayAfterFailures: 2, loginLockoutThreshold: 50 }, { dir: mkdtempSync(join(tmpdir(), 'porta-test-')), clock: new StillClock() });
  rp = await fixtureRp(porta.issuer, 'admissions');
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
  await porta?.stop();
});

/** Signs in as a person would in Chromium and returns the alert's text. */
async function signInInChromium(login: string, password: string): Promise<string> {
  const page = await chromium.context.newPage();
  await page.goto((await rp.authorize()).url);
  await page.getByLabel('Username or person code').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const text = (await page.getByRole('alert').textContent())?.trim() ?? '';
  await page.close();
  return text;
}

test('during the delay the right and a wrong password read the same "try again in N seconds"', async () => {
  const account = await porta.createAccount();
  for (let i = 0; i < 2; i++) {
    const browser = new Browser(porta.issuer);
    const page = await browser.submit(await browser.go((await rp.authorize()).url), /\/login$/, { login: account.username!, password: `wrong-password-${i}` });
    expect(alertText(page.body)).toBe('Invalid username or password');
  }
  const right = await signInInChromium(account.username!, TEST_PASSWORD);
  const wrong = await signInInChromium(account.username!, 'another-wrong-password');
  expect(right).toBe('Too many wrong attempts: try again in 1 second.');
  expect(wrong).toBe(right);
});
