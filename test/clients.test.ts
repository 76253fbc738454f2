/** Relying services kept in the database, public clients and PKCE, back-channel logout, hash upgrades. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, relyingParty } from './helpers/rp.js';

let porta: TestPorta;
afterEach(() => porta?.stop());

async function signIn(browser: Browser, rp: Awaited<ReturnType<typeof relyingParty>>, login: string) {
  const pending = await rp.authorize();
  const page = await browser.go(pending.url);
  const back = await browser.submit(page, /\/login$/, { login, password: TEST_PASSWORD });
  return rp.callback(back.location!, pending);
}

test.each([
  ['allowed', true, 1],
  ['refused by the default SSRF protection', false, 0],
])('a client stored in the database signs people in; back-channel logout to a campus address: %s', async (_name, outboundPrivateNetworks, notices) => {
  porta = await startPorta({ outboundPrivateNetworks });
  const received: string[] = [];
  const receiver: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { received.push(new URLSearchParams(body).get('logout_token') ?? ''); res.end(); });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  try {
    const bcUri = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/backchannel`;
    await porta.services.db('clients').insert({
      client_id: 'payments', created_at: 0, updated_at: 0,
      metadata: JSON.stringify({
        client_id: 'payments', client_secret: 'payments-secret-0123456789abcdefghijkl', client_name: 'Payments',
        redirect_uris: ['http://rp.test/payments/cb'], post_logout_redirect_uris: ['http://rp.test/payments/'],
        grant_types: ['authorization_code', 'refresh_token'], first_party: true,
        backchannel_logout_uri: bcUri, backchannel_logout_session_required: true,
      }),
    });
    const account = await porta.createAccount();
    const rp = await relyingParty(porta.issuer, 'payments', 'payments-secret-0123456789abcdefghijkl', 'http://rp.test/payments/cb');
    const browser = new Browser(porta.issuer);
    const tokens = await signIn(browser, rp, account.username!);
    const sid = tokens.claims()!.sid;
    expect(sid).toBeTruthy();

    const confirm = await browser.go(oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://rp.test/payments/' }).href);
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*id="op.logoutForm"/.exec(confirm.body)!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    await browser.go(action[1] ?? action[2]!, { form: { xsrf, logout: 'yes' } });

    expect(received).toHaveLength(notices);
    if (!notices) return;
    const logoutToken = decodeJwt(received[0]!);
    expect(logoutToken).toMatchObject({ iss: porta.issuer, aud: 'payments', sub: account.id, sid });
    expect(logoutToken.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
  } finally {
    receiver.close();
  }
});

test('a public client must use PKCE', async () => {
  porta = await startPorta();
  const rp = await fixtureRp(porta.issuer, 'informastudenti');
  const withoutPkce = new URL((await rp.authorize()).url);
  withoutPkce.searchParams.delete('code_challenge');
  withoutPkce.searchParams.delete('code_challenge_method');
  const refused = await new Browser(porta.issuer).go(withoutPkce.href);
  const params = new URL(refused.location!).searchParams;
  expect(params.get('error')).toBe('invalid_request');
  expect(params.get('error_description')).toMatch(/PKCE/);

  const account = await porta.createAccount();
  const tokens = await signIn(new Browser(porta.issuer), rp, account.username!);
  expect(tokens.claims()!.sub).toBe(account.id);
});

test('a password hashed with weaker parameters is rehashed at sign-in', async () => {
  porta = await startPorta();
  const account = await porta.createAccount();
  expect(account.passwordHash).toContain('t=2');
  // Restart with a higher time cost: the next sign-in upgrades the stored hash.
  porta = await porta.restart({ argon2TimeCost: 3 });
  const rp = await fixtureRp(porta.issuer, 'admissions');
  await signIn(new Browser(porta.issuer), rp, account.username!);
  const after = await porta.services.accounts.findById(account.id);
  expect(after!.passwordHash).toContain('t=3');
  expect(after!.lastLoginAt).not.toBeNull();
});

test('error pages carry the request id', async () => {
  porta = await startPorta();
  const res = await fetch(`${porta.url}/interaction/does-not-exist`);
  expect(res.status).toBe(400);
  const body = await res.text();
  expect(body).toContain('This sign-in page has expired or was already used.');
  expect(body).toContain(`Request ID: ${res.headers.get('x-request-id')}`);
});
