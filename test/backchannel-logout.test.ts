/**
 * Sessions Porta ends itself (a password reset, a password change that signs out the other sessions, the
 * helpdesk disabling an account) send an OIDC Back-Channel Logout 1.0 logout token to every service that
 * had one of them, off the request path: a service that fails never fails the person's action.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { relyingParty, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';
import { run } from '../src/cli/run.js';
import { fromRoot } from '../src/paths.js';
import type { Account } from '../src/accounts/account.js';

const NEW_PASSWORD = 'Sentiero di montagna 77';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A service's backchannel_logout_uri: a real HTTP listener that answers `status` and keeps the logout tokens. */
class Receiver {
  readonly tokens: string[] = [];
  private waiting: (() => void)[] = [];
  private server!: Server;
  constructor(private readonly status = 200) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        this.tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.statusCode = this.status;
        res.end();
        for (const wake of this.waiting.splice(0)) wake();
      });
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    return this;
  }

  get uri() { return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/backchannel`; }

  /** Resolves once `n` logout tokens have arrived; the server sends them within BACKCHANNEL_LOGOUT_INTERVAL_SECONDS. */
  async received(n: number): Promise<string[]> {
    const deadline = Date.now() + 10_000;
    while (this.tokens.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} logout tokens, got ${this.tokens.length}`);
      await new Promise<void>((ok) => { this.waiting.push(ok); setTimeout(ok, 200); });
    }
    return this.tokens;
  }

  stop() { this.server.close(); }
}

let smtp: SmtpCatcher;
let porta: TestPorta;
let payments: Receiver;
let library: Receiver;
let paymentsRp: Rp;
let libraryRp: Rp;

/** A service kept in the database with a backchannel_logout_uri (and the sid in its logout tokens). */
async function addService(id: string, receiver: Receiver): Promise<Rp> {
  const secret = `${id}-secret-0123456789abcdefghijklmnop`;
  await porta.services.db('clients').insert({
    client_id: id, created_at: 0, updated_at: 0,
    metadata: JSON.stringify({
      client_id: id, client_secret: secret, client_name: id, redirect_uris: [`http://rp.test/${id}/cb`],
      grant_types: ['authorization_code', 'refresh_token'], first_party: true,
      backchannel_logout_uri: receiver.uri, backchannel_logout_session_required: true,
    }),
  });
  return relyingParty(porta.issuer, id, secret, `http://rp.test/${id}/cb`);
}

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  payments = await new Receiver().start();
  library = await new Receiver(500).start(); // a service that fails every logout
  porta = await startPorta({ smtpUrl: smtp.url, outboundPrivateNetworks: true, backchannelLogoutIntervalSeconds: 1, selfServicePostsPerIpPerHour: 1000, recoveryMailsPerAccountPerHour: 100 });
  paymentsRp = await addService('payments', payments);
  libraryRp = await addService('library', library);
});
afterAll(async () => {
  await porta.stop();
  payments.stop();
  library.stop();
  await smtp.stop();
});

/** Signs in to the service in the browser (the login page, or SSO) and returns the ID token's sid. */
async function signIn(rp: Rp, browser: Browser, account: Account): Promise<string> {
  const pending = await rp.authorize({ scope: 'openid' });
  const page = await browser.go(pending.url);
  const done = page.body.includes('<h1>Sign in</h1>') ? await browser.submit(page, /\/login$/, { login: account.username!, password: TEST_PASSWORD }) : page;
  const tokens = await rp.callback(done.location!, pending);
  return String(tokens.claims()!.sid);
}

/** The logout token as the service must check it: signed with a key from Porta's JWKS, for this service. */
async function verified(token: string, audience: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(paymentsRp.config.serverMetadata().jwks_uri!));
  const { payload } = await jwtVerify(token, jwks, { issuer: porta.issuer, audience, typ: 'logout+jwt' });
  return payload;
}

const from = (receiver: Receiver) => receiver.tokens.length;

test('a password reset sends every service the person was signed in to a logout token for its session', async () => {
  const account = await porta.createAccount();
  const browser = new Browser(porta.issuer);
  const sid = await signIn(paymentsRp, browser, account);
  const before = from(payments);

  const resetter = new Browser(porta.issuer);
  await resetter.submit(await resetter.go('/recover/password'), '/recover/password', { identifier: account.username! });
  const link = (await smtp.last(account.email!)).links.find((l) => l.includes('/recover/password/reset?token='))!;
  const done = await resetter.submit(await resetter.go(link), '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
  expect(done.body).toContain('<h1>Your password has been changed</h1>');

  const [token] = (await payments.received(before + 1)).slice(before);
  const claims = await verified(token!, 'payments');
  expect(claims).toMatchObject({ iss: porta.issuer, aud: 'payments', sub: account.id, sid });
  expect(claims.events).toEqual({ [EVENT]: {} });
  expect(claims).not.toHaveProperty('nonce');
  expect(typeof claims.jti).toBe('string');
});

test('a password change signs out the other sessions: their services are told, the current one is not', async () => {
  const account = await porta.createAccount();
  const here = new Browser(porta.issuer);
  const elsewhere = new Browser(porta.issuer);
  const hereSid = await signIn(paymentsRp, here, account);
  const elsewhereSid = await signIn(paymentsRp, elsewhere, account);
  expect(elsewhereSid).not.toBe(hereSid);
  const before = from(payments);

  const changed = await here.submit(await here.go('/account/password'), '/account/password', { current: TEST_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
  expect(changed.body).toContain('Your password was changed. Your other sessions were signed out.');

  const tokens = (await payments.received(before + 1)).slice(before);
  expect(await Promise.all(tokens.map(async (t) => (await verified(t, 'payments')).sid))).toEqual([elsewhereSid]);
  // The session in use still signs in to the service without a password.
  expect((await here.go((await paymentsRp.authorize()).url)).location).toMatch(/^http:\/\/rp\.test\/payments\/cb\?code=/);
});

test('the helpdesk disabling an account (CLI) sends the logouts; a service that fails does not stop the others', async () => {
  const account = await porta.createAccount();
  const browser = new Browser(porta.issuer);
  const librarySid = await signIn(libraryRp, browser, account);
  const paymentsSid = await signIn(paymentsRp, browser, account);
  expect(paymentsSid).not.toBe(librarySid); // one sid per service and session
  const before = { payments: from(payments), library: from(library) };

  const out: string[] = [];
  const env = { DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: fromRoot('test/fixtures/clients.json'), NODE_ENV: 'test', LOG_LEVEL: 'silent' };
  const code = await run(['users', 'disable', account.username!], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) }, env, clock: porta.clock });
  expect({ code, out: out.join('') }).toEqual({ code: 0, out: `disabled ${account.username}; their sessions and tokens have ended\n` });

  const [failed] = (await library.received(before.library + 1)).slice(before.library);
  expect((await verified(failed!, 'library')).sid).toBe(librarySid);
  const [token] = (await payments.received(before.payments + 1)).slice(before.payments);
  expect(await verified(token!, 'payments')).toMatchObject({ sub: account.id, sid: paymentsSid });
  // Sent once: the library's failure is logged, not retried.
  expect(await porta.services.db('logout_notices').count({ n: '*' }).first()).toEqual({ n: 0 });
});
