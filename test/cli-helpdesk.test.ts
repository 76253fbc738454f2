/**
 * The helpdesk's commands, run in-process against the database of a running Porta (real SQLite, real
 * SMTP): what an operator sees (exit codes, output, one-line errors), what the person receives, and the
 * audit event each command leaves.
 */
import { Browser, findForm } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { relyingParty } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';
import type { Account } from '../src/accounts/account.js';
import { run } from '../src/cli/run.js';
import { fromRoot } from '../src/paths.js';

let smtp: SmtpCatcher;
let porta: TestPorta;

interface Result { code: number; stdout: string; stderr: string }

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  porta = await startPorta({ smtpUrl: smtp.url });
});
afterAll(async () => {
  await porta.stop();
  await smtp.stop();
});

async function cli(...argv: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const env = {
    DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: fromRoot('test/fixtures/clients.json'), NODE_ENV: 'test', LOG_LEVEL: 'silent',
    SMTP_URL: smtp.url, ISSUER: porta.issuer,
  };
  const code = await run(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, clock: porta.clock });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Exit code 2, nothing on stdout, one `porta: …` line on stderr containing `fragment`. */
function expectUsageError(r: Result, fragment: string | RegExp) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^porta: .*\n$/);
  if (typeof fragment === 'string') expect(r.stderr).toContain(fragment);
  else expect(r.stderr).toMatch(fragment);
}

const audited = async (account: Pick<Account, 'id'>) => (await porta.services.audit.list({ accountId: account.id })).filter((e) => e.actor === 'cli').map((e) => e.action);
const reload = (account: Account) => porta.services.accounts.findById(account.id);

describe('porta help', () => {
  test('lists the helpdesk commands, and each has --help', async () => {
    const help = await cli('--help');
    for (const command of ['users find', 'users show', 'users set-email', 'users resend-activation', 'users disable', 'users enable', 'users unlock', 'users reset-2fa', 'users delete',
      'clients show', 'clients update', 'clients rotate-secret', 'access-codes issue', 'access-codes list', 'access-codes revoke', 'purge', 'audit']) {
      expect(help.stdout).toContain(`  ${command} `);
      const own = await cli(...command.split(' '), '--help');
      expect(own.code).toBe(0);
      expect(own.stdout).toContain(`Usage: porta ${command}`);
    }
    expect((await cli('access-codes', '--help')).stdout).toContain('Usage: porta access-codes <issue|list|revoke> [options]');
  });
});

describe('porta users: finding and looking', () => {
  test('find by person code, username fragment, email or name; show tells the state', async () => {
    const a = await porta.createAccount({ username: 'giulia.verdi', givenName: 'Giulia', familyName: 'Verdi', email: 'g.verdi@example.org' });
    await porta.createAccount({ username: 'marco.verdini', givenName: 'Marco', familyName: 'Verdini', email: 'marco@example.org' });

    for (const text of [a.personCode, 'giulia.verdi', 'G.VERDI@example.org', 'Giulia Verdi']) {
      const found = await cli('users', 'find', text);
      expect(found.code).toBe(0);
      expect(found.stdout).toMatch(/^PERSON CODE\s+USERNAME\s+NAME\s+EMAIL\s+TYPE\s+STATUS$/m);
      expect(found.stdout.trimEnd().split('\n')).toHaveLength(2);
      expect(found.stdout).toMatch(new RegExp(`^${a.personCode}\\s+giulia\\.verdi\\s+Giulia Verdi\\s+g\\.verdi@example\\.org\\s+internal\\s+active$`, 'm'));
    }
    const fragment = JSON.parse((await cli('users', 'find', '--query', 'verd', '--json')).stdout) as { username: string }[];
    expect(fragment.map((u) => u.username).sort()).toEqual(['giulia.verdi', 'marco.verdini']);
    // The exact match first.
    expect((JSON.parse((await cli('users', 'find', 'marco.verdini', '--json')).stdout) as { username: string }[])[0]!.username).toBe('marco.verdini');
    expect(await cli('users', 'find', 'nobody-like-this')).toEqual({ code: 0, stdout: 'no users match "nobody-like-this"\n', stderr: '' });
    // LIKE wildcards are taken literally.
    expect((await cli('users', 'find', '%_%')).stdout).toBe('no users match "%_%"\n');

    expectUsageError(await cli('users', 'find', 'x'), 'give at least 2 characters');
    expectUsageError(await cli('users', 'find'), 'give at least 2 characters');
    expectUsageError(await cli('users', 'find', 'a', 'b'), '"porta users find" takes at most 1 TEXT');
    expectUsageError(await cli('users', 'find', 'verdi', '--limit', '0'), '--limit must be a whole number from 1 to 10000');

    const shown = await cli('users', 'show', 'giulia.verdi');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^person code\s+\d{8}$/m);
    expect(shown.stdout).toMatch(/^email\s+g\.verdi@example\.org \(confirmed\)$/m);
    expect(shown.stdout).toMatch(/^status\s+active$/m);
    expect(shown.stdout).toMatch(/^last sign-in\s+never$/m);
    expect(shown.stdout).toMatch(/^lock\s+not locked$/m);
    expect(shown.stdout).not.toContain('argon2');
    const json = JSON.parse((await cli('users', 'show', `--user=${a.id}`, '--json')).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ sub: a.id, username: 'giulia.verdi', status: 'active', access: [], open_access_codes: [] });
    expect(JSON.stringify(json)).not.toContain('password_hash');

    expectUsageError(await cli('users', 'show', 'no-such-user'), 'no user "no-such-user" (USER is a username, person code, email address or subject id)');
    expectUsageError(await cli('users', 'show'), 'name the user: porta users show USER (or --user USER)');
    expectUsageError(await cli('users', 'show', 'giulia.verdi', '--user', 'giulia.verdi'), 'name one user');
    expectUsageError(await cli('users', 'show', '--bogus'), 'unknown option --bogus for "porta users show"');
    expect(await audited(a)).toEqual(expect.arrayContaining(['account.viewed']));
  });
});

describe('porta users set-email', () => {
  test('an active account: the new address gets a confirmation link, the old one a notice; confirming marks it confirmed', async () => {
    const a = await porta.createAccount({ email: 'old.address@example.org' });
    const r = await cli('users', 'set-email', a.username!, '--email', 'New.Address@example.org');
    expect(r).toEqual({ code: 0, stdout: `set the address of ${a.username} to New.Address@example.org (not confirmed yet) and mailed a confirmation link; the previous address was told\n`, stderr: '' });
    expect(await reload(a)).toMatchObject({ email: 'New.Address@example.org', emailVerified: false });

    const notice = await smtp.last('old.address@example.org');
    expect(notice.subject).toBe('The email address of your university account was changed');
    const mail = await smtp.last('new.address@example.org');
    expect(mail.subject).toBe('Confirm your email address');
    const link = mail.links.find((l) => l.includes('/email/verify?token='))!;
    expect(link.startsWith(`${porta.issuer}/email/verify?token=`)).toBe(true);

    const browser = new Browser(porta.issuer);
    const page = await browser.go(link);
    expect(page.body).toContain('Confirm that New.Address@example.org is your email address.');
    // Following the link alone (a mail scanner) changes nothing.
    expect((await reload(a))!.emailVerified).toBe(false);
    const done = await browser.submit(page, '/email/verify');
    expect(done.body).toContain('Thank you: New.Address@example.org is now confirmed.');
    expect((await reload(a))!.emailVerified).toBe(true);
    const again = await new Browser(porta.issuer).go(link);
    expect(again.status).toBe(410);
    expect(again.body).toContain('This link has already been used.');
    expect(await audited(a)).toContain('account.email_set');
  });

  test('a pending registration gets a new activation link at the corrected address', async () => {
    const a = await porta.createAccount({ status: 'pending', userType: 'external', email: 'typo@exmaple.org', emailVerified: false });
    const r = await cli('users', 'set-email', '--user', a.personCode, '--email', 'right@example.org', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ sub: a.id, email: 'right@example.org', mailed: 'activation' });
    const mail = await smtp.last('right@example.org');
    expect(mail.subject).toBe('Activate your university account');
    const link = mail.links.find((l) => l.includes('/activate?token='))!;
    const page = await new Browser(porta.issuer).go(link);
    expect(page.status).toBe(200);
    expect(findForm(page.body, '/activate').hidden.token).toBeTruthy();
    expect(smtp.to('typo@exmaple.org')).toHaveLength(0);
  });

  test('bad, taken or unchanged addresses exit 2 and change nothing', async () => {
    const a = await porta.createAccount();
    const b = await porta.createAccount();
    expectUsageError(await cli('users', 'set-email', a.username!, '--email', 'not-an-address'), '--email: Enter an email address like name@example.org.');
    expectUsageError(await cli('users', 'set-email', a.username!), '--email is required');
    expectUsageError(await cli('users', 'set-email', a.username!, '--email', b.email!.toUpperCase()), `is already the address of another account (${b.username})`);
    expectUsageError(await cli('users', 'set-email', a.username!, '--email', a.email!), `${a.email} is already the confirmed address of ${a.username}`);
    expect(await reload(a)).toMatchObject({ email: a.email, emailVerified: true });
  });
});

describe('porta users resend-activation', () => {
  test('mails a pending registration a new link; the old one stops working; an active account exits 2', async () => {
    const a = await porta.createAccount({ status: 'pending', userType: 'external', emailVerified: false });
    expect((await cli('users', 'resend-activation', a.username!)).stdout).toBe(`mailed a new activation link to ${a.email}, valid 24 hours\n`);
    const first = (await smtp.last(a.email!)).links.find((l) => l.includes('/activate?token='))!;
    expect((await cli('users', 'resend-activation', a.username!)).code).toBe(0);
    const second = (await smtp.last(a.email!, 2)).links.find((l) => l.includes('/activate?token='))!;
    expect((await new Browser(porta.issuer).go(first)).status).toBe(410);
    expect((await new Browser(porta.issuer).go(second)).status).toBe(200);
    expect(await audited(a)).toContain('registration.resent');

    const active = await porta.createAccount();
    expectUsageError(await cli('users', 'resend-activation', active.username!), `${active.username} is active: there is nothing to activate`);
  });
});

describe('porta users disable, enable, unlock, delete', () => {
  test('disable ends the sessions and sign-in is refused; enable lets the person in again', async () => {
    const a = await porta.createAccount();
    expect(await cli('users', 'disable', a.username!, '--note', 'reported stolen laptop')).toEqual({ code: 0, stdout: `disabled ${a.username}; their sessions and tokens have ended\n`, stderr: '' });
    expect((await reload(a))!.status).toBe('disabled');
    expect((await cli('users', 'show', a.username!)).stdout).toMatch(/^status\s+disabled since .* \(by the helpdesk\)$/m);
    expectUsageError(await cli('users', 'disable', a.username!), `${a.username} is already disabled`);
    expect((await cli('users', 'enable', a.username!, '--json')).stdout).toBe(`${JSON.stringify({ sub: a.id, status: 'active' }, null, 2)}\n`);
    expectUsageError(await cli('users', 'enable', a.username!), `${a.username} is active, not disabled`);
    const events = await porta.services.audit.list({ accountId: a.id });
    expect(events.find((e) => e.action === 'account.disabled')).toMatchObject({ actor: 'cli', details: { cause: 'helpdesk', note: 'reported stolen laptop' } });
    expect(events.map((e) => e.action)).toContain('account.enabled');

    const pending = await porta.createAccount({ status: 'pending' });
    expectUsageError(await cli('users', 'disable', pending.username!), 'is not activated yet, so cannot sign in; porta users delete removes it');
    expectUsageError(await cli('users', 'disable', a.username!, '--note', 'x'.repeat(201)), '--note must be at most 200 printable characters');
  });

  test('unlock lifts a lock after wrong passwords; an account that is not locked exits 2', async () => {
    const a = await porta.createAccount();
    expectUsageError(await cli('users', 'unlock', a.username!), `${a.username} is not locked and has no wrong passwords counted`);
    await porta.services.db('accounts').where({ id: a.id }).update({ failed_logins: 10, last_failed_at: porta.clock.now(), locked_until: porta.clock.now() + 15 * 60_000 });
    expect((await cli('users', 'show', a.username!)).stdout).toMatch(/^lock\s+locked until .* \(porta users unlock lifts it\)$/m);
    expect(await cli('users', 'unlock', '--user', a.email!)).toEqual({ code: 0, stdout: `unlocked ${a.username}; they can sign in now\n`, stderr: '' });
    expect(await reload(a)).toMatchObject({ failedLogins: 0, lockedUntil: null });
    expect(await audited(a)).toContain('account.unlocked');
  });

  test('delete needs --yes, then removes the account and what it held; its events stay', async () => {
    const a = await porta.createAccount();
    const browser = new Browser(porta.issuer);
    const { fixtureRp } = await import('./helpers/rp.js');
    const rp = await fixtureRp(porta.issuer, 'admissions');
    const login = await browser.go((await rp.authorize()).url);
    expect((await browser.submit(login, /\/login$/, { login: a.username!, password: TEST_PASSWORD })).location).toMatch(/\?code=/);
    expect(Number((await porta.services.db('oidc_payloads').where({ account_id: a.id }).count({ n: '*' }).first() as { n: number }).n)).toBeGreaterThan(0);

    expectUsageError(await cli('users', 'delete', a.username!), `deleting ${a.username} (Maria ${a.familyName}) cannot be undone; add --yes to confirm`);
    expect(await reload(a)).toBeDefined();
    expect(await cli('users', 'delete', a.username!, '--yes')).toEqual({ code: 0, stdout: `deleted ${a.username} (person code ${a.personCode})\n`, stderr: '' });
    expect(await reload(a)).toBeUndefined();
    expect(Number((await porta.services.db('oidc_payloads').where({ account_id: a.id }).count({ n: '*' }).first() as { n: number }).n)).toBe(0);
    expectUsageError(await cli('users', 'delete', a.username!, '--yes'), `no user "${a.username}"`);
    // The audit log still answers for the deleted account by its subject id.
    // (--user=ID: a subject id may start with a dash.)
    const log = await cli('audit', `--user=${a.id}`);
    expect(log.stdout).toMatch(/^\S+\s+account\.deleted\s+cli\s+/m);
  });
});

describe('porta clients with an access policy', () => {
  test('add with a policy, show it, update it, rotate the secret (the old one stops working)', async () => {
    const added = await cli('clients', 'add', '--id', 'library-2', '--secret', 'library-two-secret-0123456789abcdefghij', '--redirect-uri', 'https://library.example.org/cb',
      '--first-party', '--allowed-user-types', 'internal,federated', '--require-access-code');
    expect(added).toEqual({ code: 0, stdout: 'added client library-2 (confidential, first party, internal and federated users only, access code at first sign-in); it can sign people in now\n', stderr: '' });

    const shown = await cli('clients', 'show', '--id', 'library-2');
    expect(shown.stdout).toMatch(/^user types\s+internal, federated only$/m);
    expect(shown.stdout).toMatch(/^access code\s+asked at the first sign-in; 0 people have entered one$/m);
    expect(shown.stdout).not.toContain('library-two-secret');

    expect((await cli('clients', 'update', '--id', 'library-2', '--allowed-user-types', 'all', '--no-require-access-code', '--name', 'Library two')).stdout)
      .toBe('updated client library-2 (first party); it applies from the next sign-in\n');
    expect(JSON.parse((await cli('clients', 'show', '--id', 'library-2', '--json')).stdout)).toMatchObject({ client_name: 'Library two', allowed_user_types: null, require_access_code: false });

    const revoke = (secret: string) => fetch(`${porta.issuer}/token/revocation`, {
      method: 'POST', body: 'token=nothing', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`library-2:${secret}`).toString('base64')}` },
    });
    expect((await revoke('library-two-secret-0123456789abcdefghij')).status).toBe(200);
    const rotated = await cli('clients', 'rotate-secret', '--id', 'library-2');
    const secret = /^new secret for library-2 \(shown only now; the old one no longer works\):\n([\w-]{43})\n$/.exec(rotated.stdout)?.[1];
    expect(secret).toBeDefined();
    expect((await revoke('library-two-secret-0123456789abcdefghij')).status).toBe(401);
    expect((await revoke(secret!)).status).toBe(200);

    const events = (await porta.services.audit.list({})).filter((e) => e.clientId === 'library-2').map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['client.added', 'client.updated', 'client.secret_rotated']));
    expect(JSON.stringify(await porta.services.audit.list({}))).not.toContain(secret);
  });

  test('--require-2fa: shown, enforced at the next sign-in (the second factor is asked), and lifted by update', async () => {
    const added = await cli('clients', 'add', '--id', 'bursar', '--secret', 'bursar-secret-0123456789abcdefghijklmn', '--redirect-uri', 'http://rp.test/bursar/cb',
      '--first-party', '--require-2fa');
    expect(added.stdout).toBe('added client bursar (confidential, first party, two-factor authentication); it can sign people in now\n');
    expect((await cli('clients', 'show', '--id', 'bursar')).stdout).toMatch(/^two-factor\s+required at every sign-in$/m);
    expect(JSON.parse((await cli('clients', 'show', '--id', 'bursar', '--json')).stdout)).toMatchObject({ require_2fa: true });

    const account = await porta.createAccount();
    const rp = await relyingParty(porta.issuer, 'bursar', 'bursar-secret-0123456789abcdefghijklmn', 'http://rp.test/bursar/cb');
    const signIn = async () => {
      const browser = new Browser(porta.issuer);
      const login = await browser.go((await rp.authorize()).url);
      return browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    };
    expect((await signIn()).url).toMatch(/\/second_factor$/);

    expect((await cli('clients', 'update', '--id', 'bursar', '--no-require-2fa')).stdout).toBe('updated client bursar (first party); it applies from the next sign-in\n');
    expect((await cli('clients', 'show', '--id', 'bursar')).stdout).toMatch(/^two-factor\s+not required \(unless a request asks for it\)$/m);
    expect((await signIn()).location).toMatch(/^http:\/\/rp\.test\/bursar\/cb\?code=/);
    expectUsageError(await cli('clients', 'update', '--id', 'bursar', '--require-2fa', '--no-require-2fa'), 'give --require-2fa or --no-require-2fa, not both');
  });

  test('bad input exits 2', async () => {
    expectUsageError(await cli('clients', 'add', '--id', 'x1', '--secret', 's', '--redirect-uri', 'https://x.example/cb', '--allowed-user-types', 'staff'),
      '--allowed-user-types must be "all" or a comma-separated list of distinct internal, external, federated (got "staff")');
    expectUsageError(await cli('clients', 'update', '--id', 'digital-library', '--name', 'X'), /client "digital-library" comes from the clients file .*; change it by editing that file/);
    expectUsageError(await cli('clients', 'rotate-secret', '--id', 'admissions'), 'give it a new secret by editing that file');
    expectUsageError(await cli('clients', 'update', '--id', 'nope', '--name', 'X'), 'no client with id "nope"');
    expectUsageError(await cli('clients', 'update', '--id', 'nope'), 'nothing to change');
    expectUsageError(await cli('clients', 'update', '--id', 'nope', '--first-party', '--no-first-party'), 'give --first-party or --no-first-party, not both');
    expectUsageError(await cli('clients', 'show', '--id', 'nope'), 'no client with id "nope"');
    expect((await cli('clients', 'add', '--id', 'kiosk-2', '--public', '--redirect-uri', 'http://localhost:8080/cb')).code).toBe(0);
    expectUsageError(await cli('clients', 'rotate-secret', '--id', 'kiosk-2'), 'client "kiosk-2" is public: it has no secret');
  });

  test('a clients file with a malformed policy is refused at start, naming the client', async () => {
    const { loadClientsFile } = await import('../src/clients.js');
    const { writeFileSync } = await import('node:fs');
    const file = `${porta.dir}/bad-clients.json`;
    writeFileSync(file, JSON.stringify([{ client_id: 'a', redirect_uris: ['https://a.example/cb'], allowed_user_types: ['staff'], require_access_code: 'yes' }]));
    expect(() => loadClientsFile(file, false)).toThrow(/client #1 \(a\): allowed_user_types must be a non-empty list .*client #1 \(a\): require_access_code must be true or false/s);
  });
});

describe('porta access-codes', () => {
  test('issue, list, revoke; and the mistakes an operator can make', async () => {
    const a = await porta.createAccount();
    const issued = await cli('access-codes', 'issue', '--user', a.username!, '--client', 'partner-portal', '--json');
    expect(issued.code).toBe(0);
    expect(JSON.parse(issued.stdout)).toMatchObject({ sub: a.id, client_id: 'partner-portal', email: a.email });
    const code = /Access code: (\S+)/.exec((await smtp.last(a.email!)).text)![1]!;
    expect(issued.stdout).not.toContain(code);

    const list = await cli('access-codes', 'list', '--client', 'partner-portal');
    expect(list.stdout).toMatch(/^USER\s+CLIENT\s+STATE\s+WRONG\s+ISSUED\s+EXPIRES\s+ENDED$/m);
    expect(list.stdout).toMatch(new RegExp(`^${a.username}\\s+partner-portal\\s+open\\s+0\\s+\\S+\\s+\\S+\\s+-$`, 'm'));
    expect((await cli('users', 'show', a.username!)).stdout).toMatch(/^access codes\s+partner-portal \(valid until .*, 0 wrong\)$/m);

    // A second code replaces the first.
    expect((await cli('access-codes', 'issue', '--user', a.username!, '--client', 'partner-portal')).code).toBe(0);
    const states = (JSON.parse((await cli('access-codes', 'list', '--user', a.username!, '--json')).stdout) as { state: string }[]).map((c) => c.state);
    expect(states).toEqual(['open', 'superseded']);

    expect((await cli('access-codes', 'revoke', '--user', a.username!, '--client', 'partner-portal')).stdout)
      .toBe(`withdrew the open access code of ${a.username} for partner-portal; the next sign-in asks for a new code\n`);
    expectUsageError(await cli('access-codes', 'revoke', '--user', a.username!, '--client', 'partner-portal'), 'has neither an open access code nor access by code for partner-portal');
    expect(await audited(a)).toEqual(expect.arrayContaining(['access_code.issued', 'access_code.revoked', 'access_codes.listed']));

    expectUsageError(await cli('access-codes', 'issue', '--user', a.username!, '--client', 'admissions'), 'client "admissions" does not ask for access codes');
    expectUsageError(await cli('access-codes', 'issue', '--user', a.username!, '--client', 'nope'), 'no client with id "nope"');
    expectUsageError(await cli('access-codes', 'issue', '--user', 'nobody-x', '--client', 'partner-portal'), 'no user "nobody-x"');
    expectUsageError(await cli('access-codes', 'issue', '--client', 'partner-portal'), '--user is required');
    const pending = await porta.createAccount({ status: 'pending' });
    expectUsageError(await cli('access-codes', 'issue', '--user', pending.username!, '--client', 'partner-portal'), 'is pending: only an active account can sign in with a code');
    const noMail = await porta.createAccount({ email: null });
    expectUsageError(await cli('access-codes', 'issue', '--user', noMail.username!, '--client', 'partner-portal'), 'has no email address to send the code to');
  });

  test('a code whose mail cannot be sent is not issued', async () => {
    const a = await porta.createAccount();
    smtp.refuse(true);
    try {
      const r = await cli('access-codes', 'issue', '--user', a.username!, '--client', 'partner-portal');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^porta: no code issued: the mail to .* could not be sent/);
    } finally {
      smtp.refuse(false);
    }
    expect((JSON.parse((await cli('access-codes', 'list', '--user', a.username!, '--json')).stdout) as { state: string }[]).map((c) => c.state)).toEqual(['revoked']);
  });
});

describe('porta audit', () => {
  test('for one user, since a time; bad values exit 2', async () => {
    const a = await porta.createAccount();
    await cli('users', 'disable', a.username!);
    const log = await cli('audit', '--user', a.username!, '--since', '1h');
    expect(log.stdout).toMatch(/^AT\s+ACTION\s+ACTOR\s+SUB\s+CLIENT\s+IP\s+DETAILS$/m);
    expect(log.stdout).toMatch(new RegExp(`^\\S+Z\\s+account\\.disabled\\s+cli\\s+${a.id}\\s+-\\s+-\\s+\\{"cause":"helpdesk"\\}$`, 'm'));
    const json = JSON.parse((await cli('audit', '--user', a.username!, '--json')).stdout) as { action: string }[];
    expect(json.map((e) => e.action)).toEqual(expect.arrayContaining(['account.disabled']));
    expect((await cli('audit', '--since', '2999-01-01')).stdout).toBe('no events\n');

    expectUsageError(await cli('audit', '--since', 'yesterday'), '--since must be a date (2025-03-01), a date and time (2025-03-01T08:00:00Z) or a span such as 7d, 12h or 30m (got "yesterday")');
    expectUsageError(await cli('audit', '--limit', '-1'), /--limit|option/);
    expectUsageError(await cli('audit', '--user', 'nobody-y'), 'no user "nobody-y"');
    expect(await audited(a)).toContain('audit.read');
  });
});
