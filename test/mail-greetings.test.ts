/**
 * Every mail opens with the same greeting in each language ("Hello Giulia," / "Ciao Giulia,"), in its
 * text and its HTML part: every template in src/mail, and a mail as it arrives through SMTP.
 */
import * as access from '../src/mail/access.js';
import * as account from '../src/mail/account.js';
import type { Mail } from '../src/mail/mailer.js';
import * as registration from '../src/mail/registration.js';
import * as security from '../src/mail/security.js';
import { Browser } from './helpers/browser.js';
import { startPorta } from './helpers/porta.js';
import { SmtpCatcher } from './helpers/smtp.js';

/** Every mail template: each exported function named …Mail, found by name so that a new one is not missed. */
const templates = Object.entries({ ...access, ...account, ...registration, ...security })
  .filter((e): e is [string, (o: Record<string, unknown>) => Mail] => e[0].endsWith('Mail') && typeof e[1] === 'function');

/** One set of options with what any template asks for. */
const options = (locale: string) => ({
  locale, to: 'giulia@example.org', givenName: 'Giulia', login: 'grossi', username: 'grossi', personCode: '12345671',
  link: 'https://login.example.edu/x?token=t', reportLink: 'https://login.example.edu/r?token=t', recoverUrl: 'https://login.example.edu/recover/password',
  recoverPasswordUrl: 'https://login.example.edu/recover/password', recoverUsernameUrl: 'https://login.example.edu/recover/username',
  signInUrl: 'https://login.example.edu/', clientName: 'Admissions', code: 'ABCD-2345', newEmail: 'new@example.org', date: '3 December 2026',
  expiresAt: Date.UTC(2026, 11, 10), until: Date.UTC(2026, 11, 3, 18), lastUsedAt: Date.UTC(2025, 0, 1), disableOn: Date.UTC(2026, 11, 31),
  timeZone: 'Europe/Rome', hours: 24, minutes: 60, days: 14, ttlHours: 24, graceDays: 30, failures: 10, everywhere: false, helpdesk: '', mode: 'choose-credentials',
});

test.each([['en', 'Hello Giulia,'], ['it', 'Ciao Giulia,']])('every mail template in %s opens with "%s"', (locale, greeting) => {
  expect(templates.length).toBeGreaterThanOrEqual(14);
  for (const [name, template] of templates) {
    const mail = template(options(locale));
    expect({ name, first: mail.text.split('\n\n')[0] }).toEqual({ name, first: greeting });
    expect({ name, first: /<body[^>]*>\s*<p>([^<]*)<\/p>/.exec(mail.html)?.[1] }).toEqual({ name, first: greeting });
  }
});

test('an Italian mail arrives greeting the person as every other mail does', async () => {
  const smtp = await new SmtpCatcher().start();
  const porta = await startPorta({ smtpUrl: smtp.url });
  try {
    const person = await porta.createAccount({ givenName: 'Giulia', email: `giulia${Date.now()}@example.org` });
    const browser = new Browser(porta.issuer, { 'accept-language': 'it' });
    const page = await browser.go('/recover/username');
    expect((await browser.submit(page, '/recover/username', { email: person.email! })).status).toBe(200);
    const mail = await smtp.last(person.email!);
    expect(mail.subject).toBe('Il nome utente del tuo account di ateneo');
    expect(mail.text.startsWith('Ciao Giulia,\n\nCi hai chiesto il nome utente del tuo account.')).toBe(true);
  } finally {
    await porta.stop();
    await smtp.stop();
  }
});
