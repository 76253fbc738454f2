/** Security headers on every page, and cookies that are HttpOnly, SameSite=Lax and Secure behind HTTPS. */
import { Browser } from './helpers/browser.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { fixtureRp } from './helpers/rp.js';

let porta: TestPorta;
afterEach(() => porta?.stop());

const PAGES = [
  '/', '/register', '/register/help', '/activate?token=nope', '/recover/password', '/recover/username', '/account',
  '/.well-known/openid-configuration', '/jwks', '/healthz', '/readyz', '/no-such-page', '/static/porta.css',
  '/auth?client_id=nope', '/session/end',
];

test('every page carries the security headers', async () => {
  porta = await startPorta();
  const rp = await fixtureRp(porta.issuer, 'admissions');
  const browser = new Browser(porta.issuer);
  const login = await browser.request((await rp.authorize()).url);
  for (const path of [...PAGES, new URL(login.location!).pathname]) {
    const res = await browser.request(path);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect({ path, csp }).toEqual({ path, csp: expect.stringContaining("frame-ancestors 'none'") });
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toBeNull(); // plain HTTP
    expect(res.status).toBeLessThan(500);
  }
});

test('behind a trusted TLS proxy: HSTS and Secure cookies; an untrusted X-Forwarded-Proto changes nothing', async () => {
  porta = await startPorta({ trustProxy: true });
  const viaProxy = await fetch(`${porta.url}/register`, { headers: { 'x-forwarded-proto': 'https' } });
  expect(viaProxy.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  const cookies = viaProxy.headers.getSetCookie();
  expect(cookies.length).toBeGreaterThan(0);
  for (const cookie of cookies.map((c) => c.toLowerCase())) {
    expect(cookie).toContain('; secure');
    expect(cookie).toContain('; httponly');
    expect(cookie).toContain('; samesite=lax');
  }
  await porta.stop();

  porta = await startPorta({ trustProxy: false });
  const spoofed = await fetch(`${porta.url}/register`, { headers: { 'x-forwarded-proto': 'https' } });
  expect(spoofed.headers.get('strict-transport-security')).toBeNull();
  for (const cookie of spoofed.headers.getSetCookie()) expect(cookie.toLowerCase()).not.toContain('secure');
});
