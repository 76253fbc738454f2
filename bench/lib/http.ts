/**
 * A lean HTTP client for the sign-in load: node:http with keep-alive, a per-person cookie jar scoped by
 * path (oidc-provider's interaction cookies are), and the whole authorization code flow as a browser and
 * a relying service drive it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { BASIC_AUTH, CLIENT_ID, REDIRECT_URI } from './common.js';

export interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

const newAgent = () => new Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });
let agent = newAgent();

/**
 * Drops the pooled keep-alive connections: after a server stops, a new one on the same port would
 * otherwise be sent requests down sockets the old one closed (ECONNRESET).
 */
export function dropConnections(): void {
  agent.destroy();
  agent = newAgent();
}

export function send(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${url.pathname}`)));
    req.on('error', fail);
    req.end(body);
  });
}

interface Cookie { name: string; value: string; path: string }

export class Browser {
  private cookies: Cookie[] = [];
  constructor(private readonly origin: string) {}

  async request(target: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Reply & { url: URL; location?: URL }> {
    const url = new URL(target, this.origin);
    const headers: Record<string, string> = { 'user-agent': 'porta-bench', ...init.headers };
    const cookie = this.cookies.filter((c) => c.path === '/' || url.pathname === c.path || url.pathname.startsWith(`${c.path}/`)).map((c) => `${c.name}=${c.value}`).join('; ');
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const reply = await send(url, init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body);
    for (const line of reply.headers['set-cookie'] ?? []) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
      const path = pathAttr ? pathAttr.slice(5) : '/';
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || !value;
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
      if (!expired) this.cookies.push({ name, value, path });
    }
    const location = typeof reply.headers.location === 'string' ? new URL(reply.headers.location, url) : undefined;
    return { ...reply, url, location };
  }
}

export interface Tokens { access_token: string; refresh_token: string; id_token: string }

function form(html: string): { action: string; hidden: Record<string, string> } {
  const m = /<form\b[^>]*action="([^"]*\/login)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!m) throw new Error(`no login form in: ${html.slice(0, 300)}`);
  const hidden: Record<string, string> = {};
  for (const input of m[2]!.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    if (name) hidden[name] = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
  }
  return { action: m[1]!.replace(/&amp;/g, '&'), hidden };
}

/** authorize → login page → POST credentials → code → token, as a fresh browser (no SSO session). */
export async function signIn(origin: string, login: string, secret: string): Promise<Tokens> {
  const browser = new Browser(origin);
  const verifier = randomBytes(32).toString('base64url');
  const auth = new URL('/auth', origin);
  auth.search = new URLSearchParams({
    client_id: CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
    state: randomBytes(12).toString('base64url'), nonce: randomBytes(12).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();

  const start = await browser.request(auth.href);
  if (start.status !== 303 || !start.location) throw new Error(`authorize: ${start.status} ${start.body.slice(0, 200)}`);
  const page = await browser.request(start.location.href);
  if (page.status !== 200) throw new Error(`login page: ${page.status}`);
  const { action, hidden } = form(page.body);
  const posted = await browser.request(new URL(action, page.url).href, { form: { ...hidden, login, password: secret } });
  if (posted.status !== 303 || !posted.location) throw new Error(`login: ${posted.status} ${posted.body.slice(0, 300)}`);
  let hop = posted;
  for (let i = 0; i < 5 && hop.location && hop.location.origin === new URL(origin).origin; i++) hop = await browser.request(hop.location.href);
  const code = hop.location?.searchParams.get('code');
  if (!code) throw new Error(`no code: ${hop.status} ${hop.location?.href ?? hop.body.slice(0, 200)}`);

  const token = await send(new URL('/token', origin), 'POST', { authorization: BASIC_AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString());
  if (token.status !== 200) throw new Error(`token: ${token.status} ${token.body}`);
  return JSON.parse(token.body) as Tokens;
}
