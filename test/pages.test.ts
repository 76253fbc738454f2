/** The start page and the signed-out page lead somewhere, in a real browser. */
import { launchChromium, PHONE, type ChromiumSession } from './helpers/chromium.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { SmtpCatcher } from './helpers/smtp.js';

let smtp: SmtpCatcher;
let porta: TestPorta;
let chromium: ChromiumSession;

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  porta = await startPorta({ smtpUrl: smtp.url });
  chromium = await launchChromium({ viewport: PHONE });
});
afterAll(async () => {
  await chromium?.close();
  await porta.stop();
  await smtp.stop();
});

test('the start page links to signing in, registering and both recoveries', async () => {
  const page = await chromium.context.newPage();
  await page.goto(`${porta.issuer}/`);
  const links = page.getByRole('navigation', { name: 'What you can do here' });
  const targets = [
    ['Sign in to your account', /\/interaction\/[\w-]+$/, 'Sign in'],
    ['Create an account', /\/register$/, 'Create an account'],
    ['Forgot your password?', /\/recover\/password$/, 'Forgot your password'],
    ['Forgot your username?', /\/recover\/username$/, 'Forgot your username'],
  ] as const;
  for (const [name, url, heading] of targets) {
    await page.goto(`${porta.issuer}/`);
    await links.getByRole('link', { name }).click();
    await page.waitForURL(url);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(heading);
  }
  await page.close();
});

test('after signing out of the personal area, "Sign in again" leads back to the sign-in', async () => {
  const account = await porta.createAccount({ email: `out${Date.now()}@example.org`, username: `out${Date.now() % 1e6}` });
  const page = await chromium.context.newPage();
  await page.goto(`${porta.issuer}/account`);
  await page.getByLabel('Username').fill(account.username!);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Sign out' }).first().click();
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are signed out.');
  await page.getByRole('link', { name: 'Sign in again' }).click();
  await page.waitForURL(/\/interaction\/[\w-]+$/);
  await expect(page.getByLabel('Username').isVisible()).resolves.toBe(true);
  await page.close();
});

test('an unknown client_id says the service is misconfigured and whom to tell, with the request id', async () => {
  const discovery = await (await fetch(`${porta.issuer}/.well-known/openid-configuration`)).json() as { authorization_endpoint: string };
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({ client_id: 'no-such-service', response_type: 'code', scope: 'openid', redirect_uri: 'http://rp.test/cb' }).toString();
  const page = await chromium.context.newPage();
  const response = await page.goto(url.href);
  expect(response?.status()).toBe(400);
  await expect(page.getByRole('alert').textContent()).resolves.toBe(
    'The service that sent you here is not set up correctly with Porta (invalid_client), so you cannot sign in to it for now. Please tell the people who run that service, or the university helpdesk, and give them the request ID below.',
  );
  await expect(page.getByText(/^Request ID: \S+$/).isVisible()).resolves.toBe(true);
  await page.close();
});
