/**
 * Registration in a real Chromium (playwright-core, Debian's /usr/bin/chromium): the date of birth as a
 * person types it in each language, the limit that keeps the form, the language switch on a result page,
 * and activating on another device.
 */
import { launchChromium, PHONE, type ChromiumSession } from './helpers/chromium.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { fixtureRp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';

const PASSWORD = 'Tramonto sul lago 42';
let smtp: SmtpCatcher;
let porta: TestPorta;
const sessions: ChromiumSession[] = [];
let n = 0;

beforeAll(async () => { smtp = await new SmtpCatcher().start(); });
afterAll(() => smtp.stop());
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await porta?.stop();
});

async function browser(options: Parameters<typeof launchChromium>[0] = {}) {
  const session = await launchChromium(options);
  sessions.push(session);
  return session.context.newPage();
}

const unique = () => `${++n}x${Date.now() % 100000}`;

/** Fills the English form as a person would, by the labels. */
async function fillEnglish(page: Awaited<ReturnType<typeof browser>>, me: { email: string; username: string }) {
  await page.getByLabel('First name').fill('Giulia');
  await page.getByLabel('Last name').fill('Rossi');
  await page.getByLabel('Day').fill('17');
  await page.getByLabel('Month').fill('5');
  await page.getByLabel('Year').fill('2001');
  await page.getByLabel('Email address').fill(me.email);
  await page.getByLabel('Mobile phone').fill('333 123 4567');
  await page.getByLabel('Username').fill(me.username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
}

test('en-US: the date of birth typed as day 17, month 5, year 2001 is stored as 17 May 2001', async () => {
  porta = await startPorta({ smtpUrl: smtp.url });
  const page = await browser({ locale: 'en-US' });
  const me = { email: `us${unique()}@example.org`, username: `us${unique()}` };
  await page.goto(`${porta.issuer}/register`);
  await fillEnglish(page, me);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  expect((await porta.services.accounts.findByEmail(me.email))?.birthdate).toBe('2001-05-17');
});

test('it-IT: giorno 17, mese 5, anno 2001 is stored as 17 May 2001', async () => {
  porta = await startPorta({ smtpUrl: smtp.url });
  const page = await browser({ locale: 'it-IT' });
  const email = `it${unique()}@example.org`;
  await page.goto(`${porta.issuer}/register`);
  await page.getByLabel('Nome', { exact: true }).fill('Giulia');
  await page.getByLabel('Cognome').fill('Rossi');
  await page.getByLabel('Giorno').fill('17');
  await page.getByLabel('Mese').fill('5');
  await page.getByLabel('Anno').fill('2001');
  await page.getByLabel('Indirizzo email').fill(email);
  await page.getByLabel('Cellulare').fill('333 123 4567');
  await page.getByLabel('Nome utente').fill(`it${unique()}`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Ripeti la password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Crea account' }).click();
  await page.getByRole('heading', { name: 'Controlla la posta' }).waitFor();
  expect((await porta.services.accounts.findByEmail(email))?.birthdate).toBe('2001-05-17');
});

test('a registration over the per-IP limit shows the form again with what was typed, on a phone', async () => {
  porta = await startPorta({ smtpUrl: smtp.url, registrationsPerIpPerHour: 1 });
  const page = await browser({ viewport: PHONE });
  await page.goto(`${porta.issuer}/register`);
  await fillEnglish(page, { email: `first${unique()}@example.org`, username: `first${unique()}` });
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();

  await page.goto(`${porta.issuer}/register`);
  const me = { email: `second${unique()}@example.org`, username: `second${unique()}` };
  await fillEnglish(page, me);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').filter({ hasText: 'Many registrations came from your network' }).waitFor();
  expect(await page.getByLabel('Email address').inputValue()).toBe(me.email);
  expect(await page.getByLabel('Username').inputValue()).toBe(me.username);
  expect(await page.getByLabel('Day').inputValue()).toBe('17');
  expect(await page.getByRole('button', { name: 'Create account' }).isVisible()).toBe(true);
});

test('the language switch on "Check your inbox" keeps the page', async () => {
  porta = await startPorta({ smtpUrl: smtp.url });
  const page = await browser();
  const me = { email: `switch${unique()}@example.org`, username: `switch${unique()}` };
  await page.goto(`${porta.issuer}/register`);
  await fillEnglish(page, me);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await page.getByRole('link', { name: 'Italiano' }).click();
  await page.getByRole('heading', { name: 'Controlla la posta' }).waitFor();
  expect(await page.getByText(`Abbiamo inviato un’email a ${me.email}.`).isVisible()).toBe(true);
  expect(await page.getByLabel('Nome utente').count()).toBe(0);
});

test('activating on the phone offers no dead sign-in; on the laptop that started it, the sign-in continues', async () => {
  porta = await startPorta({ smtpUrl: smtp.url });
  const admissions = await fixtureRp(porta.issuer, 'admissions');
  const laptop = await browser();
  const registerFromSignIn = async () => {
    await laptop.goto((await admissions.authorize()).url);
    await laptop.getByRole('link', { name: 'Create an account' }).click();
    await laptop.getByRole('link', { name: 'Back to sign in' }).waitFor();
    const me = { email: `devices${unique()}@example.org`, username: `devices${unique()}` };
    await fillEnglish(laptop, me);
    await laptop.getByRole('button', { name: 'Create account' }).click();
    await laptop.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    return (await smtp.last(me.email)).links.find((l) => l.includes('/activate'))!;
  };

  const phone = await browser({ viewport: PHONE });
  await phone.goto(await registerFromSignIn());
  await phone.getByRole('button', { name: 'Activate my account' }).click();
  await phone.getByRole('heading', { name: 'Your account is active' }).waitFor();
  expect(await phone.getByRole('link', { name: /Continue signing in/ }).count()).toBe(0);
  expect(await phone.getByText('You started signing in to Admissions on another device').isVisible()).toBe(true);
  await phone.getByRole('link', { name: 'Sign in to your personal area' }).click();
  await phone.getByRole('heading', { name: 'Sign in' }).waitFor();

  await laptop.goto(await registerFromSignIn());
  await laptop.getByRole('button', { name: 'Activate my account' }).click();
  await laptop.getByRole('link', { name: 'Continue signing in to Admissions' }).click();
  await laptop.getByRole('heading', { name: 'Sign in' }).waitFor();
  expect(await laptop.getByText('Admissions').first().isVisible()).toBe(true);
});

test('signing in to an account not activated yet offers a link to a new activation email', async () => {
  porta = await startPorta({ smtpUrl: smtp.url });
  const admissions = await fixtureRp(porta.issuer, 'admissions');
  const page = await browser({ viewport: PHONE });
  const me = { email: `pending${unique()}@example.org`, username: `pending${unique()}` };
  await page.goto(`${porta.issuer}/register`);
  await fillEnglish(page, me);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await page.goto((await admissions.authorize()).url);
  await page.getByLabel('Username or person code').fill(me.username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'No email? Ask for a new one' }).click();
  await page.getByRole('heading', { name: 'Didn’t get the activation email?' }).waitFor();
  expect(await page.getByRole('link', { name: 'Back to sign in' }).isVisible()).toBe(true);
});
