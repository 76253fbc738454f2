/**
 * Real Chromium (Debian's /usr/bin/chromium, driven by playwright-core; never a browser download) for
 * tests where layout, JavaScript or the browser's own form controls matter. Each call gets a fresh
 * profile in a temp dir; `close()` removes it.
 *
 * Find fields by their labels (`page.getByLabel`) and buttons by role and name, as a person would.
 * A relying service's callback should be a real HTTP listener (see `callbackListener`): Playwright's
 * request routes never see the later hops of a redirect.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.PORTA_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** False where Chromium is not installed (`.ci/run` installs it); browser tests then fail with a clear message. */
export const chromiumAvailable = () => existsSync(CHROMIUM);

export interface ChromiumSession {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile. `locale` sets navigator.language and Accept-Language (e.g. 'it-IT'). */
export async function launchChromium(options: { locale?: string; viewport?: { width: number; height: number }; timezoneId?: string } = {}): Promise<ChromiumSession> {
  if (!chromiumAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (done by .ci/run)`);
  const dir = mkdtempSync(join(tmpdir(), 'porta-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    locale: options.locale ?? 'en-US',
    timezoneId: options.timezoneId ?? 'Europe/Rome',
    viewport: options.viewport ?? { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--lang=${options.locale ?? 'en-US'}`],
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A phone-sized viewport (a small Android phone). */
export const PHONE = { width: 360, height: 740 };

/**
 * A relying service's redirect URI as a real listener on 127.0.0.1: records every URL it is sent to
 * and answers a small page. Its `url` is `http://127.0.0.1:PORT/cb`.
 */
export async function callbackListener(): Promise<{ url: string; hits: URL[]; server: Server; close(): Promise<void> }> {
  const hits: URL[] = [];
  const server = createServer((req, res) => {
    const address = server.address() as AddressInfo;
    hits.push(new URL(req.url ?? '/', `http://127.0.0.1:${address.port}`));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><title>Relying service</title><h1>Back at the service</h1>');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/cb`, hits, server, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}
