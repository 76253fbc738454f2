/**
 * Two-factor authentication in the personal area, as its holder sees it: the list, adding an app
 * (mailed code, first code, recovery codes for a first method), renaming, removing, new recovery codes,
 * each after the password and a current code again (counted toward the lockout), a mail for every
 * change; and the helpdesk's reset and `users show`.
 */
import { newTotpSecret } from '../src/mfa/totp.js';
import { Browser, type Page } from './helpers/browser.js';
import { StillClock } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { SmtpCatcher } from './helpers/smtp.js';
import { totp } from './helpers/totp.js';

let smtp: SmtpCatcher;
let porta: TestPorta;
let n = 0;

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  porta = await startPorta({ smtpUrl: smtp.url, helpdeskContact: 'helpdesk@university.example', selfServicePostsPerIpPerHour: 1000 }, { clock: new StillClock() });
});
afterAll(async () => { await porta.stop(); await smtp.stop(); });

const h1 = (page: Page) => /<h1>([^<]*)<\/h1>/.exec(page.body)?.[1];
const createAccount = () => porta.createAccount({ email: `area2fa${++n}.${Date.now()}@example.org` });
/** The `count`th mail to `email` (waits for it). */
const mailNo = (email: string, count: number) => smtp.last(email, count);

async function withApp() {
  const account = await createAccount();
  const secret = newTotpSecret();
  const method = await porta.services.secondFactors.addTotp(account.id, 'My phone', secret, 0);
  const recoveryCodes = await porta.services.secondFactors.recoveryCodes.regenerate(account.id);
  return { account, secret, method, recoveryCodes };
}
/** A code never used before: the clock moves one step on. */
function nextCode(secret: string): string {
  porta.clock.advance(30_000);
  return totp(secret, porta.clock.now());
}

/** Signs in to the personal area (its own client asks the password only) and opens /account/two-factor. */
async function openTwoFactor(login: string, headers: Record<string, string> = {}): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(porta.issuer, headers);
  const signIn = await browser.go('/account/two-factor');
  const page = await browser.submit(signIn, /\/login$/, { login, password: TEST_PASSWORD });
  expect(new URL(page.url).pathname).toBe('/account/two-factor');
  return { browser, page };
}

const link = (page: Page, text: string) => new RegExp(`<a [^>]*href="([^"]+)"[^>]*>${text}</a>`).exec(page.body)![1]!;
const shownSecret = (page: Page) => /<p class="secret" lang="en"><code>([A-Z2-7 ]+)<\/code><\/p>/.exec(page.body)![1]!.replace(/ /g, '');
const shownCodes = (page: Page) => [...page.body.matchAll(/<li><code>([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})<\/code><\/li>/g)].map((m) => m[1]!);

describe('adding an authenticator app in the personal area', () => {
  test('the first one: password again, a mailed code, the app, ten recovery codes once; listed with its dates; the holder is mailed', async () => {
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    const overview = await browser.submit(await browser.go('/account'), /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(overview.body).toContain('<h2 id="h-two-factor">Two-factor authentication</h2>');
    expect(overview.body).toContain('Off: services that ask for it will have you set it up.');
    const list = await browser.go(link(overview, 'Manage two-factor authentication'));
    expect(h1(list)).toBe('Two-factor authentication');
    expect(list.body).toContain('You have no second factor yet.');
    expect(list.body).not.toContain('/account/two-factor/passkey');

    const proof = await browser.go(link(list, 'Add an authenticator app'));
    expect(h1(proof)).toBe('Set up two-factor authentication');
    // No second factor yet: the password alone (the mailed code confirms the set-up).
    expect(proof.body).toContain('<legend>Confirm it is you: your password</legend>');
    expect(proof.body).not.toContain('name="code"');
    const wrong = await browser.submit(proof, /\/app\/start$/, { password: 'Not-the-password-1' });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toContain('Password: This password is not correct.');
    expect(smtp.to(account.email!)).toHaveLength(0);

    const sent = await browser.submit(wrong, /\/app\/start$/, { password: TEST_PASSWORD });
    expect(sent.body).toContain(`We sent a 6-digit code to ${account.email![0]}•••@example.org.`);
    const mail = await mailNo(account.email!, 1);
    expect(mail.subject).toBe('Your code to set up two-factor authentication');
    const app = await browser.submit(sent, /\/app\/email$/, { code: /Code: (\d{6})/.exec(mail.text)![1]! });
    expect(h1(app)).toBe('Add your authenticator app');
    expect(app.body).toMatch(/<svg role="img" aria-label="QR code for your authenticator app" /);
    const secret = shownSecret(app);

    const codes = await browser.submit(app, /\/app\/app$/, { name: 'Pixel', code: totp(secret, porta.clock.now()) });
    expect(h1(codes)).toBe('Your recovery codes');
    expect(shownCodes(codes)).toHaveLength(10);
    const added = await mailNo(account.email!, 2);
    expect(added.subject).toBe('A sign-in method was added to your university account');
    expect(added.text).toContain('The authenticator app "Pixel" was added to your account as a second factor.');

    const back = await browser.submit(codes, /\/app\/done$/);
    expect(back.url).toMatch(/\/account\/two-factor\?done=added$/);
    expect(back.body).toContain('The authenticator app was added.');
    expect(back.body).toMatch(/<tr><td>Pixel<\/td><td>Authenticator app<\/td><td>[^<]+<\/td><td>[^<]+<\/td>/);
    expect(back.body).toContain('Unused recovery codes: 10.');
    expect((await browser.go('/account')).body).toContain('On. Second factors: 1.');
    expect((await porta.services.secondFactors.list(account.id)).map((m) => m.name)).toEqual(['Pixel']);
  });

  test('another one asks a current code too, and keeps the recovery codes', async () => {
    const { account, secret } = await withApp();
    const { browser, page } = await openTwoFactor(account.username!);
    const proof = await browser.go(link(page, 'Add an authenticator app'));
    expect(proof.body).toContain('<legend>Confirm it is you: your password and a current code</legend>');
    const noCode = await browser.submit(proof, /\/app\/start$/, { password: TEST_PASSWORD });
    expect(noCode.status).toBe(422);
    expect(noCode.body).toContain('Code from your app, or a recovery code: Enter the code from your authenticator app or a recovery code.');

    const sent = await browser.submit(noCode, /\/app\/start$/, { password: TEST_PASSWORD, code: nextCode(secret) });
    const mail = await mailNo(account.email!, 1);
    const app = await browser.submit(sent, /\/app\/email$/, { code: /Code: (\d{6})/.exec(mail.text)![1]! });
    const done = await browser.submit(app, /\/app\/app$/, { name: 'Tablet', code: totp(shownSecret(app), porta.clock.now()) });
    expect(done.url).toMatch(/\?done=added$/);
    expect(done.body).toContain('<td>My phone</td>');
    expect(done.body).toContain('<td>Tablet</td>');
    expect(await porta.services.secondFactors.recoveryCodes.left(account.id)).toBe(10);
  });

  test('the set-up steps cannot be reached without the re-proof', async () => {
    const { account } = await withApp();
    const { browser, page } = await openTwoFactor(account.username!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await browser.go(link(page, 'Add an authenticator app'))).body)![1]!;
    const forced = await browser.go('/account/two-factor/app/send', { form: { _csrf: csrf } });
    expect(h1(forced)).toBe('Set up two-factor authentication');
    expect(forced.body).toContain('<legend>Confirm it is you: your password and a current code</legend>');
    expect(smtp.to(account.email!)).toHaveLength(0);
  });
});

describe('passkeys in the personal area', () => {
  test('offered once the account has an app; without one, adding a passkey starts with the app', async () => {
    const account = await createAccount();
    const { browser, page } = await openTwoFactor(account.username!);
    expect(page.body).not.toContain('Add a passkey or security key');
    const instead = await browser.go('/account/two-factor/passkey');
    expect(new URL(instead.url).pathname).toBe('/account/two-factor/app');
    const withOne = await withApp();
    const other = await openTwoFactor(withOne.account.username!);
    const add = await other.browser.go(link(other.page, 'Add a passkey or security key'));
    expect(h1(add)).toBe('Add a passkey or security key');
    expect(add.body).toContain('A name for this passkey');
  });
});

describe('changes to existing second factors', () => {
  test('rename: the password and a current code; a wrong code is refused and counts toward the lockout', async () => {
    const { account, secret, method } = await withApp();
    const { browser, page } = await openTwoFactor(account.username!);
    const form = await browser.go(link(page, 'Rename'));
    expect(h1(form)).toBe('Rename a second factor');
    const used = nextCode(secret);
    const wrong = await browser.submit(form, new RegExp(`/${method.id}/rename$`), { name: 'Old phone', password: TEST_PASSWORD, code: used === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toContain('Password: The password or the code is not correct, or the code was already used.');
    expect((await porta.services.accounts.findById(account.id))!.failedLogins).toBe(1);
    // A wrong password spends no code: the same code still works after it.
    await browser.submit(wrong, /\/rename$/, { name: 'Old phone', password: 'Not-the-password-1', code: used });
    expect((await porta.services.accounts.findById(account.id))!.failedLogins).toBe(2);

    const done = await browser.submit(wrong, /\/rename$/, { name: 'Old phone', password: TEST_PASSWORD, code: used });
    expect(done.url).toMatch(/\?done=renamed$/);
    expect(done.body).toContain('<td>Old phone</td>');
    const mail = await mailNo(account.email!, 1);
    expect(mail.subject).toBe('A sign-in method of your university account was renamed');
    expect(mail.text).toContain('The second factor "My phone" is now called "Old phone".');
    expect((await porta.services.accounts.findById(account.id))!.failedLogins).toBe(0);
    const events = (await porta.services.audit.list({ accountId: account.id })).map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['mfa.reproof_failed', 'mfa.reproved', 'mfa.renamed']));
  });

  test('remove with a recovery code: the holder is told of the removal and of the code used', async () => {
    const { account, recoveryCodes } = await withApp();
    const { browser, page } = await openTwoFactor(account.username!);
    const form = await browser.go(link(page, 'Remove'));
    expect(h1(form)).toBe('Remove a second factor');
    expect(form.body).toContain('It is your last second factor: your recovery codes go too');
    const done = await browser.submit(form, /\/remove$/, { password: TEST_PASSWORD, code: recoveryCodes[0]! });
    expect(done.url).toMatch(/\?done=removed$/);
    expect(done.body).toContain('You have no second factor yet.');
    await smtp.last(account.email!, 2);
    const subjects = smtp.to(account.email!).map((m) => m.subject).sort();
    expect(subjects).toEqual(['A recovery code of your university account was used', 'A sign-in method was removed from your university account']);
    expect(smtp.to(account.email!).find((m) => m.subject.includes('removed'))!.text).toContain('The second factor "My phone" was removed from your account.');
    expect(await porta.services.secondFactors.has(account.id)).toBe(false);
    expect(await porta.services.secondFactors.recoveryCodes.left(account.id)).toBe(0);
  });

  test('new recovery codes: shown once, the old ones stop working, the holder is mailed', async () => {
    const { account, secret, recoveryCodes } = await withApp();
    const { browser, page } = await openTwoFactor(account.username!);
    const form = await browser.go(link(page, 'Make new recovery codes'));
    const codes = await browser.submit(form, /\/recovery-codes$/, { password: TEST_PASSWORD, code: nextCode(secret) });
    expect(h1(codes)).toBe('Your recovery codes');
    const fresh = shownCodes(codes);
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[0]);
    const mail = await mailNo(account.email!, 1);
    expect(mail.subject).toBe('New recovery codes for your university account');
    expect(await porta.services.secondFactors.verifyCode(account.id, recoveryCodes[1]!)).toEqual({ ok: false });
    expect(await porta.services.secondFactors.verifyCode(account.id, fresh[0]!)).toMatchObject({ ok: true, left: 9 });
    expect(link(codes, 'I have saved them: back to two-factor authentication')).toBe('/account/two-factor');
  });

  test('in Italian', async () => {
    const { account } = await withApp();
    const { browser, page } = await openTwoFactor(account.username!, { 'accept-language': 'it' });
    expect(h1(page)).toBe('Autenticazione a due fattori');
    expect(page.body).toContain('<th scope="col">Ultimo uso</th>');
    expect(page.body).toContain('<td>App di autenticazione</td>');
    const form = await browser.go(link(page, 'Rinomina'));
    const wrong = await browser.submit(form, /\/rename$/, { name: 'Telefono', password: TEST_PASSWORD, code: '' });
    expect(wrong.body).toContain('Codice della tua app, oppure un codice di recupero: Inserisci il codice della tua app di autenticazione o un codice di recupero.');
  });

  test('in Italian: new recovery codes, adding a passkey, removing a method and its mail', async () => {
    const account = await porta.createAccount({ email: `area2fa-it${++n}.${Date.now()}@example.org`, locale: 'it' });
    const secret = newTotpSecret();
    await porta.services.secondFactors.addTotp(account.id, 'Telefono', secret, 0);
    await porta.services.secondFactors.recoveryCodes.regenerate(account.id);
    const { browser, page } = await openTwoFactor(account.username!, { 'accept-language': 'it' });
    expect(h1(await browser.go('/account/two-factor/passkey'))).toBe('Aggiungi una passkey o una chiave di sicurezza');
    const mails = smtp.to(account.email!).length;
    const regenerate = await browser.go('/account/two-factor/recovery-codes');
    expect(h1(regenerate)).toBe('Crea nuovi codici di recupero');
    const codes = await browser.submit(regenerate, /\/recovery-codes$/, { password: TEST_PASSWORD, code: nextCode(secret) });
    expect(h1(codes)).toBe('I tuoi codici di recupero');
    expect(shownCodes(codes)).toHaveLength(10);
    const remove = await browser.go(link(page, 'Rimuovi'));
    expect(h1(remove)).toBe('Rimuovi un secondo fattore');
    const removed = await browser.submit(remove, /\/remove$/, { password: TEST_PASSWORD, code: nextCode(secret) });
    expect(removed.url).toMatch(/done=removed$/);
    // Two notices, in either order: new recovery codes, then the removal.
    await mailNo(account.email!, mails + 2);
    const notice = smtp.to(account.email!).find((m) => m.subject === 'È stato rimosso un metodo di accesso dal tuo account universitario');
    expect(notice?.text).toContain('Il secondo fattore "Telefono" è stato rimosso dal tuo account.');
  });
});

describe('the helpdesk', () => {
  test('users show lists the methods, never their secrets; users reset-2fa removes them all, records the reason and mails the holder', async () => {
    const { account, secret } = await withApp();
    const shown = await porta.cli('users', 'show', account.username!);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/two-factor +My phone \(authenticator app, added \S+, last used \S+\); 10 recovery codes left/);
    const json = JSON.parse((await porta.cli('users', 'show', account.username!, '--json')).stdout) as Record<string, unknown>;
    expect(json.second_factors).toEqual([expect.objectContaining({ kind: 'totp', name: 'My phone' })]);
    expect(json.recovery_codes_left).toBe(10);
    expect(JSON.stringify(json)).not.toContain(secret);

    const reset = await porta.cli('users', 'reset-2fa', '--user', account.username!, '--reason', 'ticket 4711: phone lost');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toBe(`removed 1 second factor(s) and the recovery codes of ${account.username}; mailed ${account.email}\n`);
    expect(await porta.services.secondFactors.has(account.id)).toBe(false);
    expect(await porta.services.secondFactors.recoveryCodes.left(account.id)).toBe(0);
    const event = (await porta.services.audit.list({ accountId: account.id })).find((e) => e.action === 'mfa.reset');
    expect(event).toMatchObject({ actor: 'cli', details: { methods: 1, reason: 'ticket 4711: phone lost' } });
    const mail = await mailNo(account.email!, 1);
    expect(mail.subject).toBe('Two-factor authentication of your university account was reset');
    expect(mail.text).toContain('the helpdesk removed every second factor of your account');

    const again = await porta.cli('users', 'reset-2fa', account.username!);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('has no second factor: there is nothing to reset');
    expect((await porta.cli('users', 'show', account.username!)).stdout).toMatch(/two-factor +none/);
  });

  test('the reset mail is in the holder\'s language', async () => {
    const account = await porta.createAccount({ email: `area2fa-it${++n}@example.org`, locale: 'it' });
    await porta.services.secondFactors.addTotp(account.id, 'Telefono', newTotpSecret(), 0);
    expect(JSON.parse((await porta.cli('users', 'reset-2fa', account.personCode, '--json')).stdout)).toEqual({ sub: account.id, removed: 1, mailed: true });
    const mail = await mailNo(account.email!, 1);
    expect(mail.subject).toBe('L\'autenticazione a due fattori del tuo account universitario è stata azzerata');
    expect(mail.text).toContain('Su tua richiesta, l\'helpdesk ha rimosso tutti i secondi fattori del tuo account.');
  });
});
