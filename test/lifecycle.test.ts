/**
 * Cancelling unused accounts with `porta purge`, the clock moved by hand: the warning mail, then
 * disabling (sessions end, sign-in says so), then deletion after the grace period. --dry-run lists
 * what would happen and changes nothing.
 */
import { alertText, Browser } from './helpers/browser.js';
import { DAY, HOUR } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';
import type { Account } from '../src/accounts/account.js';
import { run } from '../src/cli/run.js';
import { startOfYear, yearIn } from '../src/flows/lifecycle.js';
import { fromRoot } from '../src/paths.js';

let smtp: SmtpCatcher;
let porta: TestPorta;
let rp: Rp;

const LIFECYCLE = { INACTIVE_AFTER_DAYS: '60', INACTIVE_WARNING_DAYS: '10', INACTIVE_GRACE_DAYS: '30', HELPDESK_CONTACT: 'helpdesk@university.example' };

beforeAll(async () => { smtp = await new SmtpCatcher().start(); });
afterAll(() => smtp.stop());
beforeEach(async () => {
  // Sessions outlive the test's months, so disabling is seen to end them.
  porta = await startPorta({ smtpUrl: smtp.url, sessionTtlSeconds: 31536000, helpdeskContact: 'helpdesk@university.example' });
  rp = await fixtureRp(porta.issuer, 'admissions');
});
afterEach(() => porta.stop());

async function purge(argv: string[] = [], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(['purge', ...argv], {
    stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, clock: porta.clock,
    env: { DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: fromRoot('test/fixtures/clients.json'), NODE_ENV: 'test', LOG_LEVEL: 'silent', SMTP_URL: smtp.url, ...LIFECYCLE, ...env },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function signIn(browser: Browser, account: Account) {
  const page = await browser.go((await rp.authorize()).url);
  expect(page.body).toContain('<h1>Sign in</h1>');
  return browser.submit(page, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
}

/** The day as Porta writes it: in TIME_ZONE (Europe/Rome by default), not UTC — they differ for an hour or two each night. */
const day = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
const statusOf = async (account: Account) => (await porta.services.accounts.findById(account.id))?.status;

test('an unused account is warned, then disabled (its session ends), then deleted; --dry-run changes nothing', async () => {
  const start = porta.clock.now();
  const external = await porta.createAccount({ userType: 'external' });
  const internal = await porta.createAccount({ userType: 'internal' });
  const browser = new Browser(porta.issuer);
  expect((await signIn(browser, external)).location).toMatch(/\?code=/);

  porta.clock.advance(49 * DAY);
  expect(await purge(['--dry-run'])).toEqual({ code: 0, stdout: 'nothing to do\n', stderr: '' });

  porta.clock.advance(DAY + HOUR);
  // Due 60 days after the last use, but never sooner than the 10-day notice from this run.
  const disableOn = Math.max(start + 60 * DAY, porta.clock.now() + 10 * DAY);
  const dry = await purge(['--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/^ACTION\s+USER\s+EMAIL\s+TYPE\s+REASON$/m);
  expect(dry.stdout).toMatch(new RegExp(`^warn\\s+${external.username}\\s+${external.email}\\s+external\\s+not used since ${day(start)}; to be disabled on ${day(disableOn)}$`, 'm'));
  expect(dry.stdout).toContain('dry run: 1 warnings, 0 disablings, 0 deletions would be done; nothing was changed\n');
  expect(dry.stdout).not.toContain(internal.username!);
  const json = JSON.parse((await purge(['--dry-run', '--json'])).stdout) as { planned: { action: string; sub: string; reason: string }[] };
  expect(json.planned).toEqual([expect.objectContaining({ action: 'warn', sub: external.id })]);
  expect(smtp.to(external.email!)).toHaveLength(0);

  expect(await purge()).toEqual({ code: 0, stdout: 'warned 1, disabled 0, deleted 0\n', stderr: '' });
  const warning = await smtp.last(external.email!);
  expect(warning.subject).toBe('Your university account will be disabled');
  expect(warning.text).toContain(`Your account ${external.username} has not been used since`);
  expect(warning.text).toMatch(/Unless you sign in to a university service by \d{1,2} \w+ \d{4}, the account will be disabled, and deleted 30 days later\./);
  expect(warning.text).toContain('Questions? Contact helpdesk@university.example.');
  // Never sent twice.
  expect((await purge()).stdout).toBe('warned 0, disabled 0, deleted 0\n');
  expect(smtp.to(external.email!)).toHaveLength(1);

  porta.clock.advance(10 * DAY);
  expect((await purge(['--dry-run'])).stdout).toMatch(new RegExp(`^disable\\s+${external.username}\\s+.*not used since ${day(start)}; warned on \\d{4}-\\d\\d-\\d\\d$`, 'm'));
  expect(await statusOf(external)).toBe('active');
  expect((await purge()).stdout).toBe('warned 0, disabled 1, deleted 0\n');
  expect(await statusOf(external)).toBe('disabled');

  // The session ended with it: the service's next sign-in asks again, and is told the account is disabled.
  const refused = await signIn(browser, external);
  expect(alertText(refused.body)).toBe('This account is disabled. To find out why, or to have it enabled again, contact helpdesk@university.example.');

  porta.clock.advance(29 * DAY);
  expect((await purge()).stdout).toBe('warned 0, disabled 0, deleted 0\n');
  porta.clock.advance(DAY);
  expect((await purge(['--dry-run'])).stdout).toMatch(new RegExp(`^delete\\s+${external.username}\\s+.*disabled for inactivity on \\d{4}-\\d\\d-\\d\\d; the 30-day grace period is over$`, 'm'));
  expect(await statusOf(external)).toBe('disabled');
  expect((await purge()).stdout).toBe('warned 0, disabled 0, deleted 1\n');
  expect(await statusOf(external)).toBeUndefined();
  expect(await statusOf(internal)).toBe('active');

  const actions = (await porta.services.audit.list({ accountId: external.id })).map((e) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['account.inactivity_warned', 'account.disabled', 'account.deleted']));
});

test('signing in after the warning keeps the account', async () => {
  const account = await porta.createAccount({ userType: 'external' });
  porta.clock.advance(51 * DAY);
  expect((await purge()).stdout).toBe('warned 1, disabled 0, deleted 0\n');
  expect((await signIn(new Browser(porta.issuer), account)).location).toMatch(/\?code=/);
  porta.clock.advance(20 * DAY);
  expect(await purge(['--dry-run'])).toMatchObject({ stdout: 'nothing to do\n' });
  expect((await purge()).stdout).toBe('warned 0, disabled 0, deleted 0\n');
  expect(await statusOf(account)).toBe('active');
  // A new period runs from the sign-in: a new warning when it is due.
  porta.clock.advance(31 * DAY);
  expect((await purge()).stdout).toBe('warned 1, disabled 0, deleted 0\n');
  expect(smtp.to(account.email!)).toHaveLength(2);
});

test('a run that comes late still gives the full notice; an account without an address is disabled without one', async () => {
  const late = await porta.createAccount({ userType: 'external' });
  const noMail = await porta.createAccount({ userType: 'external', email: null });
  porta.clock.advance(70 * DAY);
  const dry = await purge(['--dry-run']);
  expect(dry.stdout).toMatch(new RegExp(`^warn\\s+${late.username}\\s+.*to be disabled on ${day(porta.clock.now() + 10 * DAY)}$`, 'm'));
  expect(dry.stdout).toMatch(new RegExp(`^disable\\s+${noMail.username}\\s+-\\s+external\\s+not used since .*; no email address to warn$`, 'm'));
  expect((await purge()).stdout).toBe('warned 1, disabled 1, deleted 0\n');
  porta.clock.advance(9 * DAY);
  expect((await purge()).stdout).toBe('warned 0, disabled 0, deleted 0\n');
  porta.clock.advance(DAY);
  expect((await purge()).stdout).toBe('warned 0, disabled 1, deleted 0\n');
});

test('the helpdesk can enable a disabled account (the period starts again); accounts it disabled are never deleted', async () => {
  const saved = await porta.createAccount({ userType: 'external' });
  const blocked = await porta.createAccount({ userType: 'external' });
  porta.clock.advance(51 * DAY);
  await purge();
  porta.clock.advance(10 * DAY);
  expect((await purge()).stdout).toBe('warned 0, disabled 2, deleted 0\n');

  const cli = (argv: string[]) => run(argv, { stdout: { write: () => true }, stderr: { write: () => true }, clock: porta.clock, env: { DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: '', NODE_ENV: 'test' } });
  expect(await cli(['users', 'enable', saved.username!])).toBe(0);
  expect(await statusOf(saved)).toBe('active');
  expect((await signIn(new Browser(porta.issuer), saved)).location).toMatch(/\?code=/);
  // The other is re-enabled and disabled again by the helpdesk: no longer the lifecycle's to delete.
  expect(await cli(['users', 'enable', blocked.username!])).toBe(0);
  expect(await cli(['users', 'disable', blocked.username!])).toBe(0);

  porta.clock.advance(40 * DAY);
  expect((await purge()).stdout).toBe('warned 0, disabled 0, deleted 0\n');
  expect(await statusOf(saved)).toBe('active');
  expect(await statusOf(blocked)).toBe('disabled');
});

test('a warning that cannot be sent is not recorded: the run exits 1 and the next run sends it', async () => {
  const account = await porta.createAccount({ userType: 'external' });
  porta.clock.advance(51 * DAY);
  smtp.refuse(true);
  try {
    const failed = await purge();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('warned 0, disabled 0, deleted 0, skipped 1\n');
    expect(failed.stderr).toContain(`porta: skipped warn of ${account.username}: warning mail not sent`);
    expect(failed.stderr).toContain('porta: 1 warning mail could not be sent; the next run tries again\n');
  } finally {
    smtp.refuse(false);
  }
  expect((await purge()).stdout).toBe('warned 1, disabled 0, deleted 0\n');
  expect((await smtp.last(account.email!)).subject).toBe('Your university account will be disabled');
});

test('INACTIVE_RULE=calendar-year: last used in a year and not in the next, cancelled on 1 January after', async () => {
  const account = await porta.createAccount({ userType: 'external' });
  const year = yearIn(porta.clock.now(), 'Europe/Rome');
  const deadline = startOfYear(year + 2, 'Europe/Rome');
  expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Rome', dateStyle: 'short', timeStyle: 'short' }).format(deadline)).toBe(`01/01/${year + 2}, 00:00`);
  const calendar = { INACTIVE_RULE: 'calendar-year', INACTIVE_AFTER_DAYS: '365', INACTIVE_WARNING_DAYS: '30' };

  porta.clock.advance(deadline - 30 * DAY - HOUR - porta.clock.now());
  expect((await purge(['--dry-run'], calendar)).stdout).toBe('nothing to do\n');
  porta.clock.advance(2 * HOUR);
  expect((await purge([], calendar)).stdout).toBe('warned 1, disabled 0, deleted 0\n');
  porta.clock.advance(30 * DAY - 2 * HOUR);
  expect((await purge([], calendar)).stdout).toBe('warned 0, disabled 0, deleted 0\n');
  porta.clock.advance(2 * HOUR);
  expect((await purge([], calendar)).stdout).toBe('warned 0, disabled 1, deleted 0\n');
  expect(await statusOf(account)).toBe('disabled');
});

test('INACTIVE_AFTER_DAYS=0 turns cancelling off; only INACTIVE_USER_TYPES are concerned', async () => {
  const external = await porta.createAccount({ userType: 'external' });
  const internal = await porta.createAccount({ userType: 'internal' });
  porta.clock.advance(400 * DAY);
  expect(await purge(['--dry-run'], { INACTIVE_AFTER_DAYS: '0' })).toEqual({ code: 0, stdout: 'cancelling unused accounts is off (INACTIVE_AFTER_DAYS=0): nothing would be done\n', stderr: '' });
  const both = await purge(['--dry-run'], { INACTIVE_USER_TYPES: 'internal,external' });
  expect(both.stdout).toContain(internal.username!);
  expect(both.stdout).toContain(external.username!);
  const bad = await purge(['--dry-run'], { INACTIVE_USER_TYPES: 'staff' });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^porta: invalid configuration: INACTIVE_USER_TYPES: /);
});
