/** Prometheus metrics as an operator's scraper sees them: where they are served, to whom, and what they count. */
import { createServer } from 'node:net';
import { Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp } from './helpers/rp.js';

const TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

/** A port free right now on loopback, for the separate metrics listener. */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => ok(port));
    });
    probe.on('error', fail);
  });
}

/** The value of one sample line, e.g. `porta_sign_ins_total{result="failed"}`; undefined when absent. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('metrics', () => {
  let porta: TestPorta;
  afterEach(() => porta?.stop());

  test('off by default: /metrics on the main port is not found', async () => {
    porta = await startPorta();
    expect((await fetch(`${porta.url}/metrics`)).status).toBe(404);
  });

  test('with METRICS_TOKEN, /metrics answers only the bearer of the token, and counts sign-ins, requests, mails, queries and sweeps', async () => {
    porta = await startPorta({ metricsToken: TOKEN });
    const scrape = async () => {
      const res = await fetch(`${porta.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      return res.text();
    };
    expect((await fetch(`${porta.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${porta.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN.slice(1)}x` } })).status).toBe(404);

    const account = await porta.createAccount();
    const rp = await fixtureRp(porta.issuer, 'admissions');
    for (const password of ['Wrong-Password-000', TEST_PASSWORD]) {
      const pending = await rp.authorize();
      const browser = new Browser(porta.issuer);
      await browser.submit(await browser.go(pending.url), /\/login$/, { login: account.username!, password });
    }
    await fetch(`${porta.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=nobody&client_secret=x' });
    await porta.services.mailer.send({ to: 'someone@example.org', subject: 'Hello', text: 'Hi', html: '<p>Hi</p>' });
    await porta.sweep();

    const text = await scrape();
    expect(sample(text, 'porta_sign_ins_total{result="succeeded"}')).toBe(1);
    expect(sample(text, 'porta_sign_ins_total{result="failed"}')).toBe(1);
    expect(sample(text, 'porta_mails_total{result="sent"}')).toBe(1);
    expect(sample(text, 'porta_sweeps_total{result="ok"}')).toBe(1);
    expect(sample(text, 'porta_http_request_duration_seconds_count{route="token",method="POST",status="401"}')).toBe(1);
    expect(sample(text, 'porta_http_request_duration_seconds_count{route="authorization",method="GET",status="303"}')).toBe(2);
    // The wrong password gets the form again (200), the right one goes on (303).
    expect(sample(text, 'porta_http_request_duration_seconds_count{route="/interaction/:uid/login",method="POST",status="200"}')).toBe(1);
    expect(sample(text, 'porta_http_request_duration_seconds_count{route="/interaction/:uid/login",method="POST",status="303"}')).toBe(1);
    expect(sample(text, 'porta_db_pool_connections{state="used"}')).toBeDefined();
    expect(text).toMatch(/^porta_db_query_duration_seconds_count\{method="\w+",result="ok"\} [1-9]/m);
    expect(text).toMatch(/^porta_process_resident_memory_bytes /m);
    // Bounded labels: no raw paths with ids, no query strings.
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    for (const route of routes) expect(route).toMatch(/^(\/[\w/:.-]*|[a-z_]+)$/);
    expect(text).not.toMatch(/route="\/interaction\/[A-Za-z0-9_-]{10,}/);
  });

  test('a registration is counted, and so is the activation mail the mail server refused', async () => {
    // The mail server is a port nobody listens on.
    const closed = await freePort();
    porta = await startPorta({ metricsToken: TOKEN, smtpUrl: `smtp://127.0.0.1:${closed}` });
    const browser = new Browser(porta.issuer);
    const registered = await browser.submit(await browser.go('/register'), '/register', {
      given_name: 'Giulia', family_name: 'Bianchi', birthdate_day: '17', birthdate_month: '5', birthdate_year: '2001', phone: '333 765 4321',
      email: `giulia.metrics.${Date.now()}@example.org`, username: `gbianchi${Date.now() % 100000}`, password: 'Tramonto sul lago 42', password_confirm: 'Tramonto sul lago 42',
    });
    expect(registered.status).toBe(200);
    const scrape = async () => (await fetch(`${porta.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    // The mail goes out after the answer: wait (bounded) for its failure to be counted.
    let text = await scrape();
    for (let i = 0; i < 50 && sample(text, 'porta_mails_total{result="failed"}') === undefined; i++) {
      await new Promise((ok) => setTimeout(ok, 100));
      text = await scrape();
    }
    expect(sample(text, 'porta_registrations_total')).toBe(1);
    expect(sample(text, 'porta_mails_total{result="failed"}')).toBe(1);
    expect(sample(text, 'porta_mails_total{result="sent"}')).toBeUndefined();
  });

  test('a lockout is counted once, however many refused sign-ins follow it', async () => {
    porta = await startPorta({ metricsToken: TOKEN, loginLockoutThreshold: 2, loginDelayAfterFailures: 10 });
    const account = await porta.createAccount();
    const rp = await fixtureRp(porta.issuer, 'admissions');
    for (let i = 0; i < 3; i++) {
      const browser = new Browser(porta.issuer);
      await browser.submit(await browser.go((await rp.authorize()).url), /\/login$/, { login: account.username!, password: 'Wrong-Password-000' });
    }
    const text = await (await fetch(`${porta.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(sample(text, 'porta_lockouts_total')).toBe(1);
    expect(sample(text, 'porta_sign_ins_total{result="failed"}')).toBe(3);
    expect(sample(text, 'porta_registrations_total')).toBe(0);
  });

  test('METRICS_PORT serves them on a separate loopback listener', async () => {
    const port = await freePort();
    porta = await startPorta({ metricsPort: port });
    await fetch(`${porta.url}/.well-known/openid-configuration`);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(sample(await res.text(), 'porta_http_request_duration_seconds_count{route="discovery",method="GET",status="200"}')).toBe(1);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(`${porta.url}/metrics`)).status).toBe(404);
  });
});
