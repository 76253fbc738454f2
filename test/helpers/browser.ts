/**
 * A minimal browser for tests: a cookie jar (path-scoped, as oidc-provider's interaction cookies are),
 * manual redirects that stop when they leave Porta (the relying service's callback), and form helpers.
 */
export interface Page {
  status: number;
  url: string;
  headers: Headers;
  body: string;
  location?: string;
}

interface Cookie { name: string; value: string; path: string; expires?: number }

export class Browser {
  private cookies: Cookie[] = [];
  constructor(private readonly origin: string, private readonly headers: Record<string, string> = {}) {}

  cookieNames(): string[] { return this.cookies.map((c) => c.name); }

  private store(url: URL, res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expires: number | undefined;
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.split('=');
        if (k.trim().toLowerCase() === 'path') path = v.trim();
        if (k.trim().toLowerCase() === 'expires') expires = Date.parse(v);
        if (k.trim().toLowerCase() === 'max-age') expires = Date.now() + Number(v) * 1000;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
      if (value && (expires === undefined || expires > Date.now())) this.cookies.push({ name, value, path, expires });
    }
  }

  private cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map((c) => `${c.name}=${c.value}`).join('; ');
  }

  async request(target: string, init: { method?: string; form?: Record<string, string>; body?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    const url = new URL(target, this.origin);
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(url, res);
    const location = res.headers.get('location') ?? undefined;
    return { status: res.status, url: url.href, headers: res.headers, body: await res.text(), location: location && new URL(location, url).href };
  }

  /** Follows redirects while they stay on Porta; returns the last Porta page or the redirect that left it. */
  async go(target: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    let page = await this.request(target, init);
    for (let hops = 0; page.location && hops < 10; hops++) {
      if (new URL(page.location).origin !== new URL(this.origin).origin) return page;
      page = await this.request(page.location);
    }
    return page;
  }

  /** Submits the page's form whose action matches, with its hidden fields plus `fields`. */
  async submit(page: Page, action: string | RegExp, fields: Record<string, string> = {}): Promise<Page> {
    const form = findForm(page.body, action);
    return this.go(new URL(form.action, page.url).href, { form: { ...form.hidden, ...fields } });
  }
}

export function findForm(html: string, action: string | RegExp): { action: string; hidden: Record<string, string> } {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const formAction = decode(/action="([^"]*)"/.exec(m[1]!)?.[1] ?? '');
    if (typeof action === 'string' ? formAction.endsWith(action) : action.test(formAction)) {
      const hidden: Record<string, string> = {};
      for (const input of m[2]!.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
        const name = /name="([^"]*)"/.exec(input[0])?.[1];
        if (name) hidden[name] = decode(/value="([^"]*)"/.exec(input[0])?.[1] ?? '');
      }
      return { action: formAction, hidden };
    }
  }
  throw new Error(`no form with action ${String(action)} in page:\n${html.slice(0, 2000)}`);
}

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The visible text of the role="alert" element, if any. */
export const alertText = (html: string) => decode(/role="alert"[^>]*>([\s\S]*?)<\//.exec(html)?.[1]?.trim() ?? '');
