/** Every form's error summary names the field of each entry (the messages alone are often the same). */
import { Browser, type Page } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { SmtpCatcher } from './helpers/smtp.js';

let smtp: SmtpCatcher;
let porta: TestPorta;

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  porta = await startPorta({ smtpUrl: smtp.url, selfServicePostsPerIpPerHour: 1000, privacyNoticeUrl: 'https://uni.example/privacy' });
});
afterAll(async () => {
  await porta.stop();
  await smtp.stop();
});

const decode = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').trim();

/** The summary's entries as [field name, text], and each one's text must start with that field's label. */
function summary(page: Page): Array<[string, string]> {
  const box = /<div class="alert" role="alert" id="form-error">([\s\S]*?)<\/div>/.exec(page.body)?.[1] ?? '';
  const entries = [...box.matchAll(/<a href="#f-([\w-]+)">([\s\S]*?)<\/a>/g)].map((m): [string, string] => [m[1]!, decode(m[2]!)]);
  expect(entries.length).toBeGreaterThan(0);
  for (const [name, text] of entries) {
    // A date of birth is three labelled inputs (day, month, year) in a fieldset: its name is the legend.
    const legend = new RegExp(`<fieldset class="field date"[^>]*>\\s*<legend>([^<]*)</legend>(?:(?!</fieldset>)[\\s\\S])*id="f-${name}"`).exec(page.body)?.[1];
    const label = decode(legend ?? new RegExp(`<label for="f-${name}">([\\s\\S]*?)</label>`).exec(page.body)?.[1] ?? `(no label for ${name})`);
    expect(text.startsWith(`${label}: `)).toBe(true);
  }
  return entries;
}

async function signedIn(): Promise<Browser> {
  const account = await porta.createAccount({ email: `sum${Date.now()}@example.org`, username: `sum${Date.now() % 1e6}` });
  const browser = new Browser(porta.issuer);
  const login = await browser.go('/account');
  await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
  return browser;
}

describe('error summaries name their fields', () => {
  test('registration, left empty', async () => {
    const browser = new Browser(porta.issuer);
    const page = await browser.submit(await browser.go('/register'), '/register', {});
    const entries = summary(page);
    expect(entries.map(([name]) => name)).toEqual(expect.arrayContaining(['given_name', 'email', 'password', 'password_confirm', 'privacy']));
    expect(entries.find(([name]) => name === 'password_confirm')?.[1]).toMatch(/: This field is required\.$/);
  });

  test('forgot password and forgot username, left empty', async () => {
    const browser = new Browser(porta.issuer);
    expect(summary(await browser.submit(await browser.go('/recover/password'), '/recover/password', { identifier: '' }))).toEqual([['identifier', expect.stringMatching(/: This field is required\.$/)]]);
    expect(summary(await browser.submit(await browser.go('/recover/username'), '/recover/username', { email: '' }))).toEqual([['email', expect.stringMatching(/: /)]]);
  });

  test('changing the password: each empty field is named, the empty repeat too', async () => {
    const browser = await signedIn();
    const page = await browser.submit(await browser.go('/account/password'), '/account/password', { current: '', password: '', password_confirm: '' });
    expect(summary(page)).toEqual([
      ['current', 'Current password: This field is required.'],
      ['password', 'New password: This field is required.'],
      ['password_confirm', 'Repeat the new password: This field is required.'],
    ]);
  });

  test('changing the email address, left empty', async () => {
    const browser = await signedIn();
    const page = await browser.submit(await browser.go('/account/email'), '/account/email', { email: '', password: '' });
    expect(summary(page).map(([name]) => name)).toEqual(['email', 'password']);
  });
});
