/** Registering, proving the address, and signing in — in both portal modes. */
import * as oidc from 'openid-client';
import { alertText, Browser, type Page } from './helpers/browser.js';
import { HOUR } from './helpers/clock.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';
import { drainBackground } from '../src/flows/background.js';

const PASSWORD = 'Tramonto sul lago 42';
let smtp: SmtpCatcher;
let porta: TestPorta;
let admissions: Rp;
let n = 0;

beforeAll(async () => { smtp = await new SmtpCatcher().start(); });
afterAll(() => smtp.stop());
afterEach(() => porta?.stop());

async function boot(overrides: Record<string, unknown> = {}) {
  porta = await startPorta({ smtpUrl: smtp.url, registrationsPerIpPerHour: 1000, ...overrides });
  admissions = await fixtureRp(porta.issuer, 'admissions');
}

/** A date of birth as typed in its three fields. */
const born = (day: string, month: string, year: string) => ({ birthdate_day: day, birthdate_month: month, birthdate_year: year });

function person(overrides: Record<string, string> = {}) {
  n++;
  return {
    given_name: ' Giulia ', family_name: 'D’Angelo', ...born('17', '05', '2001'), phone: '333 123 4567',
    email: `giulia${n}.${Date.now()}@example.org`, username: `giulia${n}x${Date.now() % 100000}`,
    password: PASSWORD, password_confirm: PASSWORD, privacy: 'yes', ...overrides,
  };
}

async function register(browser: Browser, fields: Record<string, string>, from = '/register'): Promise<Page> {
  const page = await browser.go(from);
  return browser.submit(page, '/register', fields);
}

/** Follows the mailed link: GET shows a button or form, which is posted. */
async function followLink(browser: Browser, link: string, fields: Record<string, string> = {}) {
  const page = await browser.go(link);
  if (page.status !== 200) return page;
  return browser.submit(page, '/activate', fields);
}

describe('choose-credentials mode (default)', () => {
  test('register from a sign-in, activate by email, continue the sign-in and get the claims', async () => {
    await boot();
    const browser = new Browser(porta.issuer);
    const pending = await admissions.authorize({ scope: 'openid profile email phone' });
    const login = await browser.go(pending.url);
    const createLink = /href="(\/register\?interaction=[^"]+)"/.exec(login.body)![1]!;
    const me = person();

    const sent = await register(browser, me, createLink);
    expect(sent.status).toBe(200);
    expect(sent.body).toContain(`We sent an email to ${me.email}`);

    const mail = await smtp.last(me.email);
    expect(mail.subject).toBe('Activate your university account');
    expect(mail.text).toContain('Hello Giulia,');
    expect(mail.html).toContain('Activate my account');
    const link = mail.links.find((l) => l.includes('/activate?token='))!;
    const account = (await porta.services.accounts.findByEmail(me.email))!;
    expect(account).toMatchObject({ status: 'pending', emailVerified: false, givenName: 'Giulia', phone: '+393331234567', birthdate: '2001-05-17', userType: 'external' });
    expect(mail.text).toContain(`Your person code is ${account.personCode}.`);

    const done = await followLink(browser, link);
    expect(done.body).toContain('Your account is active');
    expect(done.body).toContain(`<p class="code">${account.personCode}</p>`);
    const continueUrl = /href="(\/interaction\/[^"]+)"[^>]*>Continue signing in to Admissions/.exec(done.body)![1]!;

    const loginAgain = await browser.go(continueUrl);
    const back = await browser.submit(loginAgain, /\/login$/, { login: me.username, password: PASSWORD });
    const tokens = await admissions.callback(back.location!, pending);
    const claims = await oidc.fetchUserInfo(admissions.config, tokens.access_token, account.id);
    expect(claims).toMatchObject({ person_code: account.personCode, email: me.email, email_verified: true, user_type: 'external', given_name: 'Giulia', family_name: 'D’Angelo' });
  });

  test('the link works once; a tampered link is not valid', async () => {
    await boot();
    const browser = new Browser(porta.issuer);
    const me = person();
    await register(browser, me);
    const link = (await smtp.last(me.email)).links.find((l) => l.includes('/activate?token='))!;
    const page = await browser.go(link);
    const first = await browser.submit(page, '/activate');
    expect(first.body).toContain('Your account is active');
    const second = await browser.submit(page, '/activate');
    expect(second.status).toBe(410);
    expect(alertText(second.body)).toBe('The account is already active. Sign in from the service you want to use.');
    // Not a dead end: the personal area signs in from here.
    expect(second.body).toContain('<a href="/account">Sign in to your personal area</a>');

    const tampered = link.replace(/token=(.)/, (_m, c: string) => `token=${c === 'A' ? 'B' : 'A'}`);
    const bad = await browser.go(tampered);
    expect(bad.status).toBe(404);
    expect(alertText(bad.body)).toContain('This link is not valid.');
  });

  test('an expired link asks to register again, and the sweep frees the username and address', async () => {
    await boot();
    const browser = new Browser(porta.issuer);
    const me = person();
    await register(browser, me);
    const link = (await smtp.last(me.email)).links.find((l) => l.includes('/activate?token='))!;

    porta.clock.advance(24 * HOUR + 1000);
    const expired = await browser.go(link);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('This registration has expired');
    expect(alertText(expired.body)).toBe('The activation link was valid for 24 hours. Please register again.');
    expect(expired.body).toContain('href="/register"');

    await porta.sweep();
    expect(await porta.services.accounts.findByEmail(me.email)).toBeUndefined();
    expect((await browser.go(link)).status).toBe(410);
    const again = await register(new Browser(porta.issuer), { ...me });
    expect(again.body).toContain(`We sent an email to ${me.email}`);
    expect((await porta.services.accounts.findByEmail(me.email))?.status).toBe('pending');
  });

  test('the same address again: the same answer, the holder is told, no second account', async () => {
    await boot();
    const me = person();
    const first = await register(new Browser(porta.issuer), me);
    await followLink(new Browser(porta.issuer), (await smtp.last(me.email)).links.find((l) => l.includes('/activate'))!);

    const intruder = { ...person(), email: me.email.toUpperCase() };
    const second = await register(new Browser(porta.issuer), intruder);
    const strip = (body: string) => body.replace(/name="_csrf" value="[^"]+"/g, '');
    expect(second.status).toBe(first.status);
    expect(strip(second.body).replace(intruder.email, me.email)).toBe(strip(first.body));

    const notice = await smtp.last(me.email, 2);
    expect(notice.subject).toBe('Someone tried to register with your email address');
    expect(notice.text).toContain('No second account was created.');
    expect(notice.links.some((l) => l.endsWith('/recover/password'))).toBe(true);
    expect(await porta.services.accounts.findByLogin(intruder.username)).toBeUndefined();
  });

  test('a taken username is shown as taken, keeping what was typed except passwords', async () => {
    await boot();
    const me = person();
    await register(new Browser(porta.issuer), me);
    const other = person({ username: me.username.toUpperCase() });
    const page = await register(new Browser(porta.issuer), other);
    expect(page.status).toBe(422);
    expect(page.body).toContain('<p class="field-error" id="f-username-error">This username is already taken. Choose another.</p>');
    expect(page.body).toContain(`value="${other.email}"`);
    expect(page.body).toContain('value="333 123 4567"');
    expect(page.body).not.toContain(PASSWORD);
  });

  test.each([
    ['too short', { password: 'short-pw', password_confirm: 'short-pw' }, 'password', 'The password needs at least 10 characters.'],
    ['too long', { password: 'x'.repeat(129), password_confirm: 'x'.repeat(129) }, 'password', 'The password can have at most 128 characters.'],
    ['common', { password: 'password123', password_confirm: 'password123' }, 'password', 'This password is too common and easy to guess. Choose another.'],
    ['contains the username', { username: 'marco.polo', password: 'xx-marco.polo-99', password_confirm: 'xx-marco.polo-99' }, 'password', 'The password must not contain your username.'],
    ['contains the email', { email: 'lucrezia@example.org', password: 'Lucrezia-2024!x', password_confirm: 'Lucrezia-2024!x' }, 'password', 'The password must not contain your email address.'],
    ['not repeated', { password_confirm: 'something else entirely' }, 'password_confirm', 'The two passwords do not match.'],
    ['bad phone', { phone: '12' }, 'phone', 'Enter a valid phone number.'],
    ['date of birth in the future', born('1', '1', '2999'), 'birthdate', 'The date of birth cannot be in the future.'],
    ['not a date', born('31', '2', '2001'), 'birthdate', 'Enter a real date as day, month and year, for example 17 5 2001.'],
    ['a two-digit year', born('17', '5', '01'), 'birthdate', 'Enter a real date as day, month and year, for example 17 5 2001.'],
    ['under the minimum age', born('1', '1', String(new Date().getUTCFullYear() - 10)), 'birthdate', 'You must be at least 16 years old to register.'],
    ['bad email', { email: 'not-an-address' }, 'email', 'Enter an email address like name@example.org.'],
    ['two @ in the address', { email: 'victim@uni.example@evil.example' }, 'email', 'Enter an email address like name@example.org.'],
    ['a quoted local part', { email: '"victim@uni.example"@evil.example' }, 'email', 'Enter an email address like name@example.org.'],
    ['a look-alike username mixing Latin and Cyrillic', { username: 'd\u0435mo' }, 'username', 'Use the letters of one alphabet only: a username mixing, for example, Latin and Cyrillic letters could pass for someone else’s.'],
    ['a look-alike username mixing Latin and Greek', { username: 'dem\u03bf' }, 'username', 'Use the letters of one alphabet only: a username mixing, for example, Latin and Cyrillic letters could pass for someone else’s.'],
    ['name with markup', { given_name: '<script>' }, 'given_name', 'Use letters, spaces, apostrophes and dashes only.'],
    ['name too long', { family_name: 'a'.repeat(101) }, 'family_name', 'This is too long.'],
    ['privacy not accepted', { privacy: '' }, 'privacy', 'You need to accept the privacy notice to register.'],
  ])('%s: the message stands next to the field and nothing is created', async (_name, change, fieldName, message) => {
    await boot({ privacyNoticeUrl: 'https://uni.example/privacy' });
    const me = person(change);
    const page = await register(new Browser(porta.issuer), me);
    expect(page.status).toBe(422);
    expect(page.body).toContain(`<p class="field-error" id="f-${fieldName}-error">${message}</p>`);
    expect(page.body).toMatch(new RegExp(`aria-describedby="[^"]*f-${fieldName}-error"`));
    expect(alertText(page.body)).toContain('Please correct the following:');
    expect(smtp.to(me.email)).toHaveLength(0);
    expect(await porta.services.accounts.findByLogin(me.username)).toBeUndefined();
  });

  test('a 1 MB field gets a clear 413 and the server keeps answering', async () => {
    await boot();
    const browser = new Browser(porta.issuer);
    const page = await browser.go('/register');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const res = await browser.request('/register', { form: { ...person({ given_name: 'a'.repeat(1024 * 1024) }), _csrf: csrf } });
    expect(res.status).toBe(413);
    expect(alertText(res.body)).toBe('The form sent too much data.');
    expect((await browser.go('/register')).status).toBe(200);
  });

  test('"didn’t get the email?": resend makes the old link stop working; a corrected address gets the new one', async () => {
    await boot();
    const browser = new Browser(porta.issuer);
    const me = person();
    await register(browser, me);
    const oldLink = (await smtp.last(me.email)).links.find((l) => l.includes('/activate'))!;

    const help = await browser.go('/register/help');
    expect(help.body).toContain('<label for="f-new_email">Correct email address (optional)</label>');
    const corrected = `fixed.${me.email}`;
    const answer = await browser.submit(help, '/register/help', { username: me.username, password: PASSWORD, new_email: corrected });
    expect(answer.body).toContain('If the details match a registration waiting for activation, we sent a new email.');
    const newLink = (await smtp.last(corrected)).links.find((l) => l.includes('/activate'))!;

    const old = await browser.go(oldLink);
    expect(old.status).toBe(410);
    expect(alertText(old.body)).toBe('This link was replaced by a newer one. Use the link in the most recent email.');
    const done = await followLink(browser, newLink);
    expect(done.body).toContain('Your account is active');
    expect((await porta.services.accounts.findByLogin(me.username))).toMatchObject({ email: corrected, emailVerified: true, status: 'active' });
  });

  test('resend gives the same answer for wrong details, and stops after the hourly limit', async () => {
    await boot({ activationResendPerHour: 2 });
    const browser = new Browser(porta.issuer);
    const me = person();
    await register(browser, me);
    const ask = async (fields: Record<string, string>) => browser.submit(await browser.go('/register/help'), '/register/help', fields);

    const wrong = await ask({ username: me.username, password: 'not the password' });
    const unknown = await ask({ username: 'nobody-at-all', password: PASSWORD });
    const strip = (body: string) => body.replace(/name="_csrf" value="[^"]+"/g, '');
    expect(strip(wrong.body)).toBe(strip(unknown.body));
    await drainBackground();
    expect(smtp.to(me.email)).toHaveLength(1);

    expect((await ask({ username: me.username, password: PASSWORD })).body).toContain('we sent a new email');
    await smtp.last(me.email, 2);
    const limited = await ask({ username: me.username, password: PASSWORD });
    expect(limited.body).toContain('We already sent several emails in the last hour.');
    await drainBackground();
    expect(smtp.to(me.email)).toHaveLength(2);
    porta.clock.advance(HOUR + 1000);
    expect((await ask({ username: me.username, password: PASSWORD })).body).toContain('we sent a new email');
  });

  test('when the mail server is down the registration is kept and the email can be sent again', async () => {
    await boot();
    const browser = new Browser(porta.issuer);
    const me = person();
    smtp.refuse(true);
    try {
      const page = await register(browser, me);
      expect(page.body).toContain('Check your inbox');
      await drainBackground();
    } finally {
      smtp.refuse(false);
    }
    expect((await porta.services.accounts.findByLogin(me.username))?.status).toBe('pending');
    expect(smtp.to(me.email)).toHaveLength(0);
    await browser.submit(await browser.go('/register/help'), '/register/help', { username: me.username, password: PASSWORD });
    const link = (await smtp.last(me.email)).links.find((l) => l.includes('/activate'))!;
    expect((await followLink(browser, link)).body).toContain('Your account is active');
  });

  test('a filled honeypot looks like success and creates nothing', async () => {
    await boot();
    const me = person({ website: 'http://spam.example' });
    const page = await register(new Browser(porta.issuer), me);
    expect(page.body).toContain('Check your inbox');
    expect(await porta.services.accounts.findByEmail(me.email)).toBeUndefined();
  });

  test('the per-IP limit counts only registrations, not typing mistakes, and answers with the form and what was typed', async () => {
    await boot({ registrationsPerIpPerHour: 2 });
    const browser = new Browser(porta.issuer);
    for (let i = 0; i < 5; i++) expect((await register(browser, person({ phone: '12' }))).status).toBe(422);
    expect((await register(browser, person())).body).toContain('Check your inbox');
    expect((await register(browser, person())).body).toContain('Check your inbox');
    const me = person();
    const third = await register(browser, me);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(alertText(third.body)).toMatch(/^Many registrations came from your network in the last hour\. Please try again in \d+ minutes; what you typed is still in the form\.$/);
    expect(third.body).toContain(`value="${me.email}"`);
    expect(third.body).toContain(`value="${me.username}"`);
    expect(third.body).toContain('<form method="post" action="/register"');
    expect(await porta.services.accounts.findByEmail(me.email)).toBeUndefined();
  });

  test('a taken username gets the same answer whether or not the address has an account', async () => {
    await boot();
    const holder = person();
    await register(new Browser(porta.issuer), holder);
    await smtp.last(holder.email);
    const taken = person({ username: holder.username });
    const withHeldAddress = await register(new Browser(porta.issuer), { ...taken, email: holder.email });
    const withFreeAddress = await register(new Browser(porta.issuer), taken);
    const strip = (body: string, email: string) => body.replace(/name="_csrf" value="[^"]+"/g, '').replace(email, 'EMAIL');
    expect(withHeldAddress.status).toBe(422);
    expect(strip(withHeldAddress.body, holder.email)).toBe(strip(withFreeAddress.body, taken.email));
    expect(withHeldAddress.body).toContain('This username is already taken. Choose another.');
    await drainBackground();
    expect(smtp.to(holder.email)).toHaveLength(1);
  });

  test('"someone tried to register with your address" notices are bounded per recipient per day', async () => {
    await boot({ noticesPerRecipientPerDay: 3 });
    const holder = person();
    await register(new Browser(porta.issuer), holder);
    await followLink(new Browser(porta.issuer), (await smtp.last(holder.email)).links.find((l) => l.includes('/activate'))!);
    for (let i = 0; i < 6; i++) expect((await register(new Browser(porta.issuer), { ...person(), email: holder.email })).body).toContain('Check your inbox');
    await drainBackground();
    expect(smtp.to(holder.email).map((m) => m.subject)).toEqual(['Activate your university account', ...Array(3).fill('Someone tried to register with your email address')]);
    // The limit is the recipient's own: other addresses get their mail.
    const other = person();
    await register(new Browser(porta.issuer), other);
    expect((await smtp.last(other.email)).subject).toBe('Activate your university account');
  });

  test('registration is atomic: when the link cannot be stored, no account is left behind', async () => {
    await boot();
    const me = person();
    const { db } = porta.services;
    await db.schema.renameTable('flows', 'flows_unavailable');
    try {
      const page = await register(new Browser(porta.issuer), me);
      expect(page.status).toBe(500);
    } finally {
      await db.schema.renameTable('flows_unavailable', 'flows');
    }
    expect(await porta.services.accounts.findByEmail(me.email)).toBeUndefined();
    expect(await db('audit_events').where({ action: 'registration.created' }).count({ n: '*' }).first()).toMatchObject({ n: 0 });
    await drainBackground();
    expect(smtp.to(me.email)).toHaveLength(0);
    // The same details work at once: nothing half-made holds the username or the address.
    expect((await register(new Browser(porta.issuer), me)).body).toContain('Check your inbox');
  });

  test('the "check your inbox" page survives a language switch and a reload', async () => {
    await boot();
    const browser = new Browser(porta.issuer);
    const me = person();
    const sent = await register(browser, me);
    expect(sent.url).toBe(`${porta.issuer}/register/sent`);
    const italian = await browser.go('/register/sent?lang=it');
    expect(italian.body).toContain('<h1>Controlla la posta</h1>');
    expect(italian.body).toContain(`Abbiamo inviato un’email a ${me.email}.`);
    expect(italian.body).not.toContain('name="given_name"');
    // Without this browser's registration there is nothing to show: the form.
    expect((await new Browser(porta.issuer).go('/register/sent')).url).toBe(`${porta.issuer}/register`);
  });

  test('the privacy notice is asked about only when there is one', async () => {
    await boot();
    const without = await new Browser(porta.issuer).go('/register');
    expect(without.body).not.toContain('name="privacy"');
    expect((await register(new Browser(porta.issuer), person({ privacy: '' }))).body).toContain('Check your inbox');
    await porta.stop();
    await boot({ privacyNoticeUrl: 'https://uni.example/privacy' });
    const withNotice = await new Browser(porta.issuer).go('/register');
    expect(withNotice.body).toContain('<a href="https://uni.example/privacy" target="_blank" rel="noopener">Read the privacy notice</a>');
    expect(withNotice.body).toContain('name="privacy"');
  });

  test('opened from a sign-in, registration leads back to it', async () => {
    await boot();
    const browser = new Browser(porta.issuer);
    const pending = await admissions.authorize();
    const login = await browser.go(pending.url);
    const uid = /\/interaction\/([\w-]+)\/login/.exec(login.body)![1]!;
    const form = await browser.go(`/register?interaction=${uid}`);
    expect(form.body).toContain(`<a href="/interaction/${uid}">Back to sign in</a>`);
    expect((await browser.go(`/register/help?interaction=${uid}`)).body).toContain(`<a href="/interaction/${uid}">Back to sign in</a>`);
    expect((await browser.go('/register')).body).not.toContain('Back to sign in');
  });

  test('activating on another device does not offer a sign-in that would fail there', async () => {
    await boot();
    const laptop = new Browser(porta.issuer);
    const pending = await admissions.authorize();
    const login = await laptop.go(pending.url);
    const createLink = /href="(\/register\?interaction=[^"]+)"/.exec(login.body)![1]!;
    const me = person();
    await register(laptop, me, createLink);
    const link = (await smtp.last(me.email)).links.find((l) => l.includes('/activate'))!;

    const phone = new Browser(porta.issuer);
    const done = await followLink(phone, link);
    expect(done.body).toContain('Your account is active');
    expect(done.body).not.toContain('Continue signing in');
    expect(done.body).toContain('You started signing in to Admissions on another device or in another browser: continue there, or open Admissions again here and sign in.');
    expect(done.body).toContain('<a href="/account">Sign in to your personal area</a>');
  });

  test('signing in to an account not activated yet links to a new activation email, at the issuer', async () => {
    await boot();
    const me = person();
    await register(new Browser(porta.issuer), me);
    const browser = new Browser(porta.issuer);
    const pending = await admissions.authorize();
    const login = await browser.go(pending.url);
    const uid = /\/interaction\/([\w-]+)\/login/.exec(login.body)![1]!;
    const answer = await browser.submit(login, /\/login$/, { login: me.username, password: PASSWORD });
    expect(answer.body).toContain(`This account is not activated yet: open the link in the activation email we sent you. <a href="${porta.issuer}/register/help?interaction=${uid}">No email? Ask for a new one</a>`);
  });

  test('an Italian registration gets Italian pages and mail', async () => {
    await boot();
    const browser = new Browser(porta.issuer, { 'accept-language': 'it' });
    const me = person();
    const page = await register(browser, me);
    expect(page.body).toContain('Controlla la posta');
    expect((await smtp.last(me.email)).subject).toBe('Attiva il tuo account di ateneo');
  });

  test('the phone hint names PHONE_DEFAULT_REGION, and a number without a country code is read as one of it', async () => {
    await boot();
    expect((await new Browser(porta.issuer).go('/register')).body).toContain('Without a country code the number is read as a number in Italy; for other countries add the code, for example +44 20 7946 0958.');
    expect((await new Browser(porta.issuer, { 'accept-language': 'it' }).go('/register')).body)
      .toContain('Senza prefisso internazionale il numero è letto come numero di questo paese: Italia. Per gli altri paesi scrivi il prefisso, per esempio +44 20 7946 0958.');
    await porta.stop();

    await boot({ phoneDefaultRegion: 'GB' });
    const browser = new Browser(porta.issuer);
    expect((await browser.go('/register')).body).toContain('Without a country code the number is read as a number in United Kingdom; for other countries add the code, for example +39 06 4991 1234.');
    const me = person({ phone: '020 7946 0958' });
    expect((await register(browser, me)).body).toContain('Check your inbox');
    expect((await porta.services.accounts.findByEmail(me.email))?.phone).toBe('+442079460958');
  });
});

describe('assigned-code mode', () => {
  test('the mail tells the person code and sets the password; the person code signs in', async () => {
    await boot({ registrationMode: 'assigned-code' });
    const browser = new Browser(porta.issuer);
    const form = await browser.go('/register');
    expect(form.body).not.toContain('name="username"');
    const { username: _u, password: _p, password_confirm: _c, ...me } = person();
    const sent = await browser.submit(form, '/register', me);
    const personCode = /<p class="code">(\d{8})<\/p>/.exec(sent.body)![1]!;

    const mail = await smtp.last(me.email);
    expect(mail.subject).toBe('Your person code and how to choose your password');
    expect(mail.text).toContain(`Your person code is ${personCode}.`);
    const link = mail.links.find((l) => l.includes('/activate'))!;

    const setPage = await browser.go(link);
    expect(setPage.body).toContain(`Your person code ${personCode} is your username.`);
    const weak = await browser.submit(setPage, '/activate', { password: 'password123', password_confirm: 'password123' });
    expect(weak.status).toBe(422);
    expect(weak.body).toContain('This password is too common');
    const done = await browser.submit(setPage, '/activate', { password: PASSWORD, password_confirm: PASSWORD });
    expect(done.body).toContain('Your account is active');

    const pending = await admissions.authorize();
    const login = await browser.go(pending.url);
    const back = await browser.submit(login, /\/login$/, { login: personCode, password: PASSWORD });
    const tokens = await admissions.callback(back.location!, pending);
    expect(tokens.claims()).toMatchObject({ person_code: personCode, user_type: 'external' });
  });

  test('"didn’t get the email?" asks for person code and date of birth, and resends only to the address on file', async () => {
    await boot({ registrationMode: 'assigned-code', helpdeskContact: 'helpdesk@uni.example' });
    const browser = new Browser(porta.issuer);
    const { username: _u, password: _p, password_confirm: _c, ...me } = person();
    const sent = await browser.submit(await browser.go('/register'), '/register', me);
    const personCode = /<p class="code">(\d{8})<\/p>/.exec(sent.body)![1]!;
    await smtp.last(me.email);
    const help = await browser.go('/register/help');
    expect(help.body).toContain('<label for="f-person_code">Person code</label>');
    expect(help.body).not.toContain('name="new_email"');
    expect(help.body).toContain('If that address is wrong, contact helpdesk@uni.example.');
    // A person code and a date of birth are facts others may know: they cannot move the link elsewhere.
    const attacker = `attacker.${me.email}`;
    await browser.submit(help, '/register/help', { person_code: personCode, ...born('17', '5', '2001'), new_email: attacker });
    expect((await smtp.last(me.email, 2)).text).toContain(`Your person code is ${personCode}.`);
    await drainBackground();
    expect(smtp.to(attacker)).toHaveLength(0);
    expect((await porta.services.accounts.findByLogin(personCode))?.email).toBe(me.email);
  });
});
