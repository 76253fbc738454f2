/**
 * Property-based fuzzing: random, oversize and malformed bodies and query strings against every form and
 * the token, userinfo, introspection and revocation endpoints. Never a 5xx, the server keeps answering,
 * and no account changes.
 */
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { Browser } from './helpers/browser.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { fixtureRp } from './helpers/rp.js';

jest.setTimeout(180_000);
let porta: TestPorta;
let browser: Browser;
let csrf: string;
let uid: string;

/** Every form Porta serves (":uid" is a live interaction) and the protocol endpoints that take bodies. */
const FORMS = [
  '/interaction/:uid/login', '/interaction/:uid/confirm', '/interaction/:uid/abort',
  '/register', '/activate', '/register/help',
  '/recover/password', '/recover/username', '/recover/reset',
  '/account/password', '/account/email', '/account/email/confirm', '/account/sessions/revoke',
  '/interaction/:uid/password_expired', '/interaction/:uid/access_code', '/interaction/:uid/not_allowed',
];
const PROTOCOL = ['/token', '/me', '/token/introspection', '/token/revocation', '/session/end/confirm', '/request'];
const QUERY_PAGES = ['/auth', '/interaction/:uid', '/activate', '/register', '/register/help', '/session/end', '/recover/password', '/account', '/dev/callback'];

beforeAll(async () => {
  porta = await startPorta({ registrationsPerIpPerHour: 100_000, loginFailuresPerIpPer15Minutes: 1_000_000, tokenRequestsPerIpPerMinute: 0 });
  await porta.createAccount({ username: 'fuzz.target' });
  const rp = await fixtureRp(porta.issuer, 'admissions');
  browser = new Browser(porta.issuer);
  const page = await browser.go((await rp.authorize()).url);
  csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  uid = /\/interaction\/([\w-]+)\/login/.exec(page.body)![1]!;
});
afterAll(() => porta.stop());

async function snapshot() {
  return JSON.stringify(await porta.services.db('accounts').orderBy('id').select());
}

const nasty = fc.oneof(
  fc.string(), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', ' ', '\u0000', '%', '%%%', '%E0%A4%A', '\uD800', '../../etc/passwd', '<script>alert(1)</script>', "' OR 1=1 --", 'a'.repeat(70_000), '😀'.repeat(5000)),
  fc.integer().map(String), fc.double().map(String),
);
const fields = fc.dictionary(fc.oneof(fc.constantFrom('login', 'password', 'password_confirm', 'email', 'username', 'token', 'code', 'grant_type', 'client_id', 'client_secret', 'refresh_token', 'birthdate', 'phone', 'new_email', 'person_code', 'interaction', 'redirect_uri', 'scope', 'given_name'), fc.string()), nasty, { maxKeys: 8 });

type Body = { type: string; body: string };
const bodies: fc.Arbitrary<Body> = fc.oneof(
  fields.map((f) => ({ type: 'application/x-www-form-urlencoded', body: new URLSearchParams(f).toString() })),
  fields.map((f) => ({ type: 'application/json', body: JSON.stringify(f) })),
  nasty.map((s) => ({ type: 'application/x-www-form-urlencoded', body: s })),
  nasty.map((s) => ({ type: 'application/json', body: s })),
  fc.tuple(fc.constantFrom('text/plain', 'multipart/form-data; boundary=x', 'application/xml', '', 'application/x-www-form-urlencoded; charset=utf-16'), nasty).map(([type, body]) => ({ type, body })),
);

test('random bodies to every form and protocol endpoint: no 5xx, the server keeps answering, no account changes', async () => {
  const before = await snapshot();
  await fc.assert(fc.asyncProperty(fc.constantFrom(...FORMS, ...PROTOCOL), bodies, fc.boolean(), async (path, { type, body }, withCsrf) => {
    let sent = body;
    if (withCsrf && type.startsWith('application/x-www-form-urlencoded')) sent = `${body}&_csrf=${csrf}`;
    const res = await browser.request(path.replace(':uid', uid), { method: 'POST', body: sent, headers: type ? { 'content-type': type } : {} });
    expect(res.status).toBeLessThan(500);
    expect(res.body).not.toMatch(/\n\s+at [\w.<>]+ \(/); // no stack trace
  }), { numRuns: 400 });
  expect((await fetch(`${porta.url}/healthz`)).status).toBe(200);
  expect(await snapshot()).toBe(before);
});

test('random query strings to pages and the authorization endpoint: no 5xx', async () => {
  const query = fc.dictionary(fc.oneof(fc.constantFrom('client_id', 'response_type', 'redirect_uri', 'scope', 'state', 'nonce', 'prompt', 'max_age', 'token', 'lang', 'interaction', 'id_token_hint', 'code_challenge', 'ui_locales', 'login_hint', 'request'), fc.string()), nasty, { maxKeys: 8 });
  await fc.assert(fc.asyncProperty(fc.constantFrom(...QUERY_PAGES), query, fc.string({ maxLength: 50 }), async (path, params, raw) => {
    const qs = `${new URLSearchParams(params).toString()}&${encodeURI(raw).replace(/#/g, '')}`;
    const res = await browser.request(`${path.replace(':uid', uid)}?${qs}`);
    expect(res.status).toBeLessThan(500);
  }), { numRuns: 300 });
  expect((await fetch(`${porta.url}/healthz`)).status).toBe(200);
});
