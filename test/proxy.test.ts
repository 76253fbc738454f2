/**
 * Behind a TLS-terminating proxy (production, TRUST_PROXY=true): the client address is taken
 * TRUST_PROXY_HOPS entries from the right of X-Forwarded-For, so what a client writes there itself changes
 * nothing; and every absolute URL comes from ISSUER, never from Host or X-Forwarded-Host.
 */
import { request } from 'node:http';
import { alertText, Browser, findForm } from './helpers/browser.js';
import { productionSettings, startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';

let porta: TestPorta;
let rp: Rp;
afterEach(() => porta?.stop());

/** Production (the test clients' secrets are not development ones). */
async function boot(overrides: Record<string, unknown> = {}) {
  porta = await startPorta({ ...(await productionSettings()), trustProxy: true, ...overrides });
  rp = await fixtureRp(porta.issuer, 'admissions');
}

async function attempt(login: string, password: string, forwardedFor: string) {
  const browser = new Browser(porta.issuer, { 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'https' });
  const page = await browser.go((await rp.authorize()).url);
  return browser.submit(page, /\/login$/, { login, password });
}

/** A GET with a Host header of our choosing (fetch always sends the real one). */
function get(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(porta.url);
  return new Promise((ok, fail) => {
    request({ hostname, port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    }).on('error', fail).end();
  });
}

const lastFailureIp = async () => (await porta.services.audit.list({ limit: 10 })).find((e) => e.action === 'login.failed')?.ip;


test('behind one proxy the client address is the one the proxy appended: forged entries neither dodge the per-address budget nor reach the audit log', async () => {
  await boot({ loginFailuresPerIpPer15Minutes: 3 });
  for (let i = 0; i < 3; i++) {
    expect(alertText((await attempt(`nobody${i}`, 'wrong-password-x', `10.9.8.${i}, 203.0.113.7`)).body)).toBe('Invalid username or password');
    expect(await lastFailureIp()).toBe('203.0.113.7');
  }
  expect((await attempt('nobody-else', 'wrong-password-x', '192.0.2.200, 203.0.113.7')).status).toBe(429);
  // Another client behind the same proxy is not affected, and its sign-ins record its own address.
  const account = await porta.createAccount();
  expect((await attempt(account.username!, TEST_PASSWORD, '203.0.113.7, 203.0.113.8')).location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
  const signIn = (await porta.services.audit.list({ accountId: account.id })).find((e) => e.action === 'login.succeeded');
  expect(signIn?.ip).toBe('203.0.113.8'); // what "recent sign-ins" in the personal area shows
});

test('with TRUST_PROXY_HOPS=2 (a load balancer in front of the proxy) the client is the second entry from the right', async () => {
  await boot({ trustProxyHops: 2 });
  await attempt('nobody', 'wrong-password-x', '198.51.100.66, 203.0.113.9, 10.0.0.2');
  expect(await lastFailureIp()).toBe('203.0.113.9');
});

test('discovery and the JWKS name the issuer whatever Host and X-Forwarded-Host say, and may be cached by a shared cache', async () => {
  await boot();
  const forged = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
  const discovery = await get('/.well-known/openid-configuration', forged);
  expect(discovery.status).toBe(200);
  const urls = Object.values(JSON.parse(discovery.body) as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && /^https?:/.test(v));
  expect(urls.length).toBeGreaterThan(5);
  for (const url of urls) expect(url.startsWith(`${porta.issuer}/`) || url === porta.issuer).toBe(true);
  expect(discovery.headers['cache-control']).toBe('public, max-age=300');
  const jwks = await get('/jwks', forged);
  expect([jwks.status, jwks.headers['cache-control']]).toEqual([200, 'public, max-age=300']);
  expect(jwks.body).toBe((await get('/jwks', {})).body);
});

test('redirects oidc-provider builds after sign-in point at the issuer, not at X-Forwarded-Host', async () => {
  await boot();
  const account = await porta.createAccount();
  const browser = new Browser(porta.issuer, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
  const page = await browser.go((await rp.authorize()).url);
  const form = findForm(page.body, /\/login$/);
  const done = await browser.request(new URL(form.action, page.url).href, { form: { ...form.hidden, login: account.username!, password: TEST_PASSWORD } });
  expect(done.status).toBe(303);
  expect(done.location).toMatch(new RegExp(`^${porta.issuer.replace(/[.]/g, '\\.')}/auth/`));
});
