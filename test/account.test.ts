/** The personal area: profile, sessions and services, password and email changes. */
import * as oidc from 'openid-client';
import { formatDate } from '../src/i18n/format.js';
import { AccountAdmin } from '../src/storage/account-admin.js';
import { alertText, Browser, type Page } from './helpers/browser.js';
import { DAY, HOUR } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';

const NEW_PASSWORD = 'Sentiero di montagna 77';
let smtp: SmtpCatcher;
let porta: TestPorta;
let admissions: Rp;
let grants: Rp;
let n = 0;

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  porta = await startPorta({ smtpUrl: smtp.url, selfServicePostsPerIpPerHour: 1000 });
  admissions = await fixtureRp(porta.issuer, 'admissions');
  grants = await fixtureRp(porta.issuer, 'grants');
});
afterAll(async () => {
  await porta.stop();
  await smtp.stop();
});

const uniqueEmail = (name: string) => `${name}${++n}.${Date.now()}@example.org`;
const createAccount = (extra: Parameters<TestPorta['createAccount']>[0] = {}) => porta.createAccount({ email: uniqueEmail('me'), ...extra });

/** Opens /account: without a session, the sign-in of the `porta-account` client, then back to /account. */
async function openAccount(browser: Browser, login: string, password = TEST_PASSWORD): Promise<Page> {
  const first = await browser.go('/account');
  if (!/action="\/interaction\/[\w-]+\/login"/.test(first.body)) return first;
  return browser.submit(first, /\/login$/, { login, password });
}

async function signInTo(rp: Rp, browser: Browser, login: string, password = TEST_PASSWORD) {
  const pending = await rp.authorize({ scope: 'openid' });
  const page = await browser.go(pending.url);
  const done = page.body.includes('<h1>Sign in</h1>') ? await browser.submit(page, /\/login$/, { login, password }) : page;
  expect(done.location).toMatch(/\?code=/);
  return rp.callback(done.location!, pending);
}

const accountRow = async (id: string) => (await porta.services.accounts.findById(id))!;

describe('personal area', () => {
  test('without a session, /account signs in through Porta and then shows the profile and recent sign-ins', async () => {
    const account = await createAccount({ username: `profile${Date.now() % 1e6}`, givenName: 'Giulia', familyName: 'Bianchi', userType: 'external' });
    const browser = new Browser(porta.issuer);
    const login = await browser.go('/account');
    expect(login.url).toMatch(/\/interaction\/[\w-]+$/);
    expect(login.body).toContain('to continue to Porta');

    const page = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname + new URL(page.url).search).toBe('/account');
    expect(page.body).toContain('<h1>Your account</h1>');
    expect(page.body).toContain('Signed in as Giulia Bianchi.');
    for (const [label, value] of [['Name', 'Giulia Bianchi'], ['Username', account.username], ['Person code', account.personCode], ['Email address', account.email], ['Phone', '+39 333 123 4567'], ['Type of account', 'External user']]) {
      expect(page.body).toContain(`<dt>${label}</dt><dd>${value}</dd>`);
    }
    expect(page.body).toContain(`Last changed on ${formatDate('en', account.passwordChangedAt!, 'Europe/Rome')}.`);
    expect(page.body).toContain(`It expires on ${formatDate('en', account.passwordChangedAt! + 365 * DAY, 'Europe/Rome')}.`);
    expect(page.body).toContain('<a href="/account/password">Change your password</a>');
    expect(page.body).toContain('<a href="/account/email">Change your email address</a>');
    expect(page.body).toContain('<h2 id="h-linked">Linked institution accounts</h2>');
    expect(page.body).toContain('No institution account is linked to this account.');
    // The sign-in just made, from the audit log: time, address, service.
    expect(page.body).toMatch(/<tbody><tr><td>[^<]+<\/td><td>(::ffff:)?127\.0\.0\.1<\/td><td>Your account \(this page\)<\/td><\/tr><\/tbody>/);

    // The same session serves the next visit without a password.
    const again = await browser.go('/account');
    expect(again.body).toContain('<h1>Your account</h1>');

    // "Sign out" is Porta's own sign-out (it tells the services), after which /account asks to sign in again.
    const confirm = await browser.go(/<a href="(\/session\/end)">Sign out<\/a>/.exec(again.body)![1]!);
    expect(confirm.body).toContain('Do you want to sign out of Porta');
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*id="op.logoutForm"/.exec(confirm.body)!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const out = await browser.go(action[1] ?? action[2]!, { form: { xsrf, logout: 'yes' } });
    expect(out.body).toContain('You are signed out.');
    expect((await browser.go('/account')).body).toContain('<h1>Sign in</h1>');
  });

  test('in Italian', async () => {
    const account = await createAccount();
    const page = await openAccount(new Browser(porta.issuer, { 'accept-language': 'it' }), account.username!);
    expect(page.body).toContain('<h1>Il tuo account</h1>');
    expect(page.body).toContain('<dt>Tipo di account</dt><dd>Membro dell’ateneo</dd>');
  });

  test('cancelling the sign-in shows a page instead of looping', async () => {
    const browser = new Browser(porta.issuer);
    const login = await browser.go('/account');
    const cancelled = await browser.submit(login, /\/abort$/);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toContain('<h1>You are not signed in</h1>');
    expect(cancelled.body).toContain('<a class="button" href="/account/signin">Sign in</a>');
  });

  test('lists where the person is signed in; signing out another session ends it and its tokens', async () => {
    const account = await createAccount();
    const elsewhere = new Browser(porta.issuer);
    const tokens = await signInTo(admissions, elsewhere, account.username!);

    const browser = new Browser(porta.issuer);
    const page = await openAccount(browser, account.username!);
    const items = page.body.split('<h2 id="h-sessions">')[1]!.split('</section>')[0]!;
    expect(items.match(/<li>/g)).toHaveLength(2);
    expect(items).toContain('<strong>This browser</strong>');
    expect(items).toContain('Services: Admissions');
    const otherUid = /name="session" value="([^"]+)"/.exec(items)![1]!;
    expect(items.match(/name="session"/g)).toHaveLength(1); // this browser's own is signed out with the normal sign-out

    const done = await browser.submit(page, '/account/sessions/end', { session: otherUid });
    expect(done.status).toBe(200);
    expect(done.body).toContain('<p class="notice" role="status">The session was signed out.</p>');
    expect(done.body.split('<h2 id="h-sessions">')[1]!.split('</section>')[0]!.match(/<li>/g)).toHaveLength(1);

    await expect(oidc.refreshTokenGrant(admissions.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await elsewhere.go((await admissions.authorize()).url)).body).toContain('<h1>Sign in</h1>');
    const audit = await porta.services.audit.list({ accountId: account.id });
    expect(audit.find((e) => e.action === 'session.ended')).toMatchObject({ ip: expect.stringMatching(/127\.0\.0\.1$/), details: { via: 'account', current: false } });
  });

  test('cannot end someone else’s session', async () => {
    const victim = await createAccount();
    const victimBrowser = new Browser(porta.issuer);
    const tokens = await signInTo(admissions, victimBrowser, victim.username!);
    const [victimSession] = await porta.services.db('oidc_payloads').where({ account_id: victim.id, model: 'Session' }).select('payload');
    const victimUid = (JSON.parse((victimSession as { payload: string }).payload) as { uid: string }).uid;

    const attacker = await createAccount();
    const browser = new Browser(porta.issuer);
    await openAccount(browser, attacker.username!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await browser.go('/account/password')).body)![1]!;
    const done = await browser.go('/account/sessions/end', { form: { session: victimUid, _csrf: csrf } });
    expect(done.body).toContain('There was nothing to sign out: it had already ended.');
    expect((await oidc.refreshTokenGrant(admissions.config, tokens.refresh_token!)).access_token).toBeTruthy();
  });

  test('revoking a service’s access ends its tokens', async () => {
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    const tokens = await signInTo(grants, browser, account.username!);
    const page = await openAccount(browser, account.username!);
    const services = page.body.split('<h2 id="h-services">')[1]!.split('</section>')[0]!;
    expect(services).toContain('<strong>Grants and scholarships</strong>');
    expect(services).toContain('aria-label="Revoke access for Grants and scholarships"');
    expect(services).not.toContain('Your account (this page)');

    const done = await browser.submit(page, '/account/services/revoke');
    expect(done.body).toContain('Access was revoked.');
    expect(done.body).toContain('No service has access at the moment.');
    await expect(oidc.refreshTokenGrant(grants.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('account forms need their CSRF token and a session', async () => {
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    await openAccount(browser, account.username!);
    const forged = await browser.request('/account/password', { form: { current: TEST_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD, _csrf: 'forged' } });
    expect(forged.status).toBe(403);

    const stranger = new Browser(porta.issuer);
    const form = await stranger.go('/recover/password'); // any page, for a CSRF cookie and token
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const anonymous = await stranger.request('/account/password', { form: { current: TEST_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD, _csrf: csrf } });
    expect(anonymous.status).toBe(302);
    expect(new URL(anonymous.location!).pathname).toBe('/account');
    expect(await porta.services.hasher.verify((await accountRow(account.id)).passwordHash, TEST_PASSWORD)).toMatchObject({ ok: true });
  });
});

describe('changing the password', () => {
  test('needs the current password and a password within the policy; ends the other sessions and refresh tokens; mails a notice', async () => {
    const account = await createAccount();
    const other = new Browser(porta.issuer);
    const otherTokens = await signInTo(admissions, other, account.username!);
    // A reset link asked for earlier stops working too.
    const recover = new Browser(porta.issuer);
    await recover.submit(await recover.go('/recover/password'), '/recover/password', { identifier: account.username! });
    const resetLink = (await smtp.last(account.email!)).links.find((l) => l.includes('token='))!;

    const browser = new Browser(porta.issuer);
    const tokens = await signInTo(grants, browser, account.username!);
    const home = await openAccount(browser, account.username!);
    const form = await browser.go('/account/password');
    expect(form.body).toContain('<label for="f-current">Current password</label>');
    expect(form.body).toContain('<label for="f-password">New password</label>');

    const wrong = await browser.submit(form, '/account/password', { current: 'not-my-password', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(wrong.body).toContain('<p class="field-error" id="f-current-error">The current password is not correct.</p>');
    const weak = await browser.submit(wrong, '/account/password', { current: TEST_PASSWORD, password: 'password123', password_confirm: 'password123' });
    expect(weak.body).toContain('<p class="field-error" id="f-password-error">This password is too common and easy to guess. Choose another.</p>');
    const same = await browser.submit(weak, '/account/password', { current: TEST_PASSWORD, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    expect(same.body).toContain('The new password must be different from the current one.');
    expect(alertText(same.body)).toContain('Please correct the following:');

    const done = await browser.submit(same, '/account/password', { current: TEST_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(done.url).toMatch(/\/account\?done=password$/);
    expect(done.body).toContain('Your password was changed. Your other sessions were signed out.');
    expect(home.body).toContain('<h1>Your account</h1>');

    // This browser stays signed in; the other session and every refresh token end.
    expect(done.body.split('<h2 id="h-sessions">')[1]!.split('</section>')[0]!.match(/<li>/g)).toHaveLength(1);
    await expect(oidc.refreshTokenGrant(admissions.config, otherTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(grants.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await other.go((await admissions.authorize()).url)).body).toContain('<h1>Sign in</h1>');
    expect((await new Browser(porta.issuer).go(resetLink)).status).toBe(410);

    const notice = await smtp.last(account.email!, 2);
    expect(notice.subject).toBe('The password of your university account was changed');
    expect(notice.text).toContain('Your other sessions were signed out.');
    expect(notice.text).not.toContain(NEW_PASSWORD);

    const fresh = new Browser(porta.issuer);
    const refused = await fresh.submit(await fresh.go((await admissions.authorize()).url), /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(alertText(refused.body)).toBe('Invalid username or password');
    await signInTo(admissions, new Browser(porta.issuer), account.username!, NEW_PASSWORD);
    expect((await porta.services.audit.list({ accountId: account.id })).find((e) => e.action === 'password.changed')).toMatchObject({ clientId: 'porta-account', details: { reason: 'account' } });
  });
});

describe('changing the email address', () => {
  async function askChange(browser: Browser, login: string, email: string, password = TEST_PASSWORD) {
    await openAccount(browser, login);
    const form = await browser.go('/account/email');
    return browser.submit(form, '/account/email', { email, password });
  }

  test('a link to the new address confirms it; the old address is told; nothing changes before', async () => {
    const oldEmail = uniqueEmail('old');
    const account = await createAccount({ email: oldEmail });
    const newEmail = uniqueEmail('new');
    const browser = new Browser(porta.issuer);
    const sent = await askChange(browser, account.username!, newEmail);
    expect(sent.status).toBe(200);
    expect(sent.body).toContain(`We sent an email to ${newEmail}. Follow the link in it within 24 hours to finish the change. Until then your account keeps its current address.`);

    const confirmMail = await smtp.last(newEmail);
    expect(confirmMail.subject).toBe('Confirm your new email address');
    const link = confirmMail.links.find((l) => l.startsWith(`${porta.issuer}/account/email/confirm?token=`))!;
    expect(link).toBeDefined();
    const notice = await smtp.last(oldEmail);
    expect(notice.subject).toBe('Your email address is about to change');
    expect(notice.text).toContain(`asked to change its email address to ${newEmail}. Nothing changes until the new address is confirmed.`);
    expect(notice.links.some((l) => l.startsWith(`${porta.issuer}/account/email/report?token=`))).toBe(true);

    // Not applied yet, and the personal area says what is pending.
    expect((await accountRow(account.id)).email).toBe(oldEmail);
    const home = await browser.go('/account');
    expect(home.body).toContain(`<dt>Email address</dt><dd>${oldEmail}</dd>`);
    expect(home.body).toContain(`A change to ${newEmail} is waiting for confirmation`);

    // Opening the link (a mail scanner, say) changes nothing; the button does.
    const confirm = await new Browser(porta.issuer).go(link);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain(`Use ${newEmail} as the email address of your account?`);
    expect((await accountRow(account.id)).email).toBe(oldEmail);
    const confirmer = new Browser(porta.issuer);
    const done = await confirmer.submit(await confirmer.go(link), '/account/email/confirm');
    expect(done.status).toBe(200);
    expect(done.body).toContain('<h1>Your email address has been changed</h1>');
    expect(done.body).toContain(`From now on we will write to ${newEmail}.`);
    expect(await accountRow(account.id)).toMatchObject({ email: newEmail, emailVerified: true });

    // The services see the new address.
    const pending = await admissions.authorize({ scope: 'openid email' });
    const back = await browser.go(pending.url);
    const tokens = await admissions.callback(back.location!, pending);
    expect(await oidc.fetchUserInfo(admissions.config, tokens.access_token, account.id)).toMatchObject({ email: newEmail, email_verified: true });

    const reused = await confirmer.go(link);
    expect(reused.status).toBe(410);
    expect(reused.body).toContain('<h1>This link was already used</h1>');
    expect((await porta.services.audit.list({ accountId: account.id })).map((e) => e.action)).toEqual(expect.arrayContaining(['email_change.requested', 'email_change.confirmed']));
  });

  test('an address already in use: the same answer, its holder is told, nothing changes', async () => {
    const holder = await createAccount({ email: uniqueEmail('holder') });
    const account = await createAccount();
    const freeEmail = uniqueEmail('free');

    const toFree = await askChange(new Browser(porta.issuer), account.username!, freeEmail);
    const toTaken = await askChange(new Browser(porta.issuer), account.username!, holder.email!);
    const neutral = (page: Page, email: string) => page.body.replace(/name="_csrf" value="[^"]*"/g, '').replaceAll(email, 'ADDRESS');
    expect(toTaken.status).toBe(toFree.status);
    expect(neutral(toTaken, holder.email!)).toBe(neutral(toFree, freeEmail));

    const warning = await smtp.last(holder.email!);
    expect(warning.subject).toBe('Someone tried to use your email address');
    expect(warning.text).toContain('It already belongs to an account, so nothing was changed.');
    expect(warning.links.some((l) => l.includes('token='))).toBe(false);
    // The account's own address was told about both requests, the same way.
    await smtp.last(account.email!, 2);
    expect(smtp.to(account.email!).map((m) => m.subject)).toEqual(['Your email address is about to change', 'Your email address is about to change']);
    expect((await accountRow(account.id)).email).toBe(account.email);
    expect((await accountRow(holder.id)).email).toBe(holder.email);
    // The personal area shows the same "waiting for confirmation" either way.
    const home = await openAccount(new Browser(porta.issuer), account.username!);
    expect(home.body).toContain(`A change to ${holder.email} is waiting for confirmation`);
  });

  test('the password is re-entered and the address checked', async () => {
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    const wrong = await askChange(browser, account.username!, uniqueEmail('x'), 'not-my-password');
    expect(wrong.body).toContain('<p class="field-error" id="f-password-error">The current password is not correct.</p>');
    const same = await browser.submit(wrong, '/account/email', { email: account.email!.toUpperCase(), password: TEST_PASSWORD });
    expect(same.body).toContain('<p class="field-error" id="f-email-error">This is already your email address.</p>');
    const invalid = await browser.submit(same, '/account/email', { email: 'not-an-address', password: TEST_PASSWORD });
    expect(invalid.body).toContain('<p class="field-error" id="f-email-error">Enter an email address like name@example.org.</p>');
    // No change was started, so no mail is on its way.
    expect(await porta.services.flows.findOpen(account.id, 'email_change')).toBeUndefined();
    expect(smtp.to(account.email!)).toHaveLength(0);
  });

  test('an address taken between the request and the confirmation is not applied', async () => {
    const account = await createAccount();
    const newEmail = uniqueEmail('contested');
    await askChange(new Browser(porta.issuer), account.username!, newEmail);
    const link = (await smtp.last(newEmail)).links.find((l) => l.includes('token='))!;
    const other = await createAccount({ email: newEmail });
    const browser = new Browser(porta.issuer);
    const refused = await browser.submit(await browser.go(link), '/account/email/confirm');
    expect(refused.status).toBe(409);
    expect(alertText(refused.body)).toBe('This address now belongs to another account, so it cannot be used. Start again with another address.');
    expect((await accountRow(account.id)).email).toBe(account.email);
    expect((await accountRow(other.id)).email).toBe(newEmail);
    expect((await browser.go(link)).status).toBe(410);
  });

  test('the confirmation link expires', async () => {
    const account = await createAccount();
    const newEmail = uniqueEmail('late');
    await askChange(new Browser(porta.issuer), account.username!, newEmail);
    const link = (await smtp.last(newEmail)).links.find((l) => l.includes('token='))!;
    porta.clock.advance(24 * HOUR + 1000);
    const expired = await new Browser(porta.issuer).go(link);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('<h1>This link has expired</h1>');
    expect(alertText(expired.body)).toBe('Links to confirm a new email address are valid for 24 hours. Start the change again from your account.');
    expect(expired.body).toContain('<a class="button" href="/account">Go to your account</a>');
    expect((await accountRow(account.id)).email).toBe(account.email);
  });

  test('“it was not me” from the old address stops the change and signs out every session', async () => {
    const account = await createAccount();
    const newEmail = uniqueEmail('attacker');
    const thief = new Browser(porta.issuer);
    const tokens = await signInTo(admissions, thief, account.username!);
    await askChange(thief, account.username!, newEmail);
    const confirmLink = (await smtp.last(newEmail)).links.find((l) => l.includes('token='))!;
    const reportLink = (await smtp.last(account.email!)).links.find((l) => l.includes('/account/email/report?token='))!;

    const owner = new Browser(porta.issuer);
    const page = await owner.go(reportLink);
    expect(page.body).toContain(`asked to change its email address to ${newEmail}`);
    const stopped = await owner.submit(page, '/account/email/report');
    expect(stopped.status).toBe(200);
    expect(stopped.body).toContain('<h1>The change was stopped</h1>');
    expect(stopped.body).toContain(`Your account keeps the address ${account.email}, and every session was signed out.`);
    expect(stopped.body).toContain('<a class="button" href="/recover/password">Choose a new password</a>');

    expect((await new Browser(porta.issuer).go(confirmLink)).status).toBe(410);
    expect((await accountRow(account.id)).email).toBe(account.email);
    await expect(oidc.refreshTokenGrant(admissions.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await thief.go('/account')).body).toContain('<h1>Sign in</h1>');
  });

  /** The intruder's pending change, and its confirmation link. */
  async function intruderChange(account: { username: string | null; email: string | null }) {
    const newEmail = uniqueEmail('intruder');
    const notices = smtp.to(account.email!).length;
    await askChange(new Browser(porta.issuer), account.username!, newEmail);
    await smtp.last(account.email!, notices + 1);
    return (await smtp.last(newEmail)).links.find((l) => l.includes('/account/email/confirm?token='))!;
  }

  /** The confirmation link no longer works, and says why; the account keeps its address. */
  async function expectCancelled(account: { id: string; email: string | null }, confirmLink: string) {
    const page = await new Browser(porta.issuer).go(confirmLink);
    expect(page.status).toBe(410);
    expect(page.body).toContain('This link no longer works: the account was secured after it was sent (its password was changed or reset, or it was disabled).');
    expect((await accountRow(account.id)).email).toBe(account.email);
  }

  test('a password reset ends a pending email change: the intruder cannot confirm it afterwards', async () => {
    const account = await createAccount();
    const confirmLink = await intruderChange(account);

    const owner = new Browser(porta.issuer);
    const before = smtp.to(account.email!).length;
    await owner.submit(await owner.go('/recover/password'), '/recover/password', { identifier: account.username! });
    const resetLink = (await smtp.last(account.email!, before + 1)).links.find((l) => l.includes('/recover/password/reset?token='))!;
    const done = await owner.submit(await owner.go(resetLink), /\/recover\/password\/reset/, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD, birthdate: '2001-05-17' });
    expect(done.status).toBeLessThan(400);
    expect(await porta.services.hasher.verify((await accountRow(account.id)).passwordHash, NEW_PASSWORD)).toMatchObject({ ok: true });

    await expectCancelled(account, confirmLink);
  });

  test('a password change in the personal area ends a pending email change', async () => {
    const account = await createAccount();
    const confirmLink = await intruderChange(account);
    const owner = new Browser(porta.issuer);
    await openAccount(owner, account.username!);
    const changed = await owner.submit(await owner.go('/account/password'), '/account/password', { current: TEST_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(changed.body).toContain("<h1>Your account</h1>");
    await expectCancelled(account, confirmLink);
  });

  test('disabling the account ends a pending email change, and enabling it does not bring it back', async () => {
    const account = await createAccount();
    const confirmLink = await intruderChange(account);
    expect(await new AccountAdmin(porta.services.db, porta.clock).disable(account.id, 'helpdesk')).toBe(true);
    expect(await new AccountAdmin(porta.services.db, porta.clock).enable(account.id)).toBe(true);
    await expectCancelled(account, confirmLink);
  });

  test('“it was not me” on one change ends the intruder\'s other pending change too', async () => {
    const account = await createAccount();
    const first = uniqueEmail('first');
    await askChange(new Browser(porta.issuer), account.username!, first);
    const reportLink = (await smtp.last(account.email!)).links.find((l) => l.includes('/account/email/report?token='))!;
    // A second request, whose notice the intruder hopes the owner misses.
    const confirmLink = await intruderChange(account);
    const owner = new Browser(porta.issuer);
    await owner.submit(await owner.go(reportLink), '/account/email/report');
    await expectCancelled(account, confirmLink);
  });

  test('“it was not me” after the change was confirmed gives the old address back', async () => {
    const account = await createAccount();
    const newEmail = uniqueEmail('quick');
    await askChange(new Browser(porta.issuer), account.username!, newEmail);
    const confirmLink = (await smtp.last(newEmail)).links.find((l) => l.includes('token='))!;
    const reportLink = (await smtp.last(account.email!)).links.find((l) => l.includes('/report?token='))!;
    const confirmer = new Browser(porta.issuer);
    await confirmer.submit(await confirmer.go(confirmLink), '/account/email/confirm');
    expect((await accountRow(account.id)).email).toBe(newEmail);

    const owner = new Browser(porta.issuer);
    const undone = await owner.submit(await owner.go(reportLink), '/account/email/report');
    expect(undone.body).toContain(`we gave your account its previous address ${account.email} back`);
    expect((await accountRow(account.id)).email).toBe(account.email);
    const again = await owner.go(reportLink);
    expect(again.status).toBe(410);
    expect(again.body).toContain('<h1>This link was already used</h1>');
  });
});
