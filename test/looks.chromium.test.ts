/// <reference lib="dom" />
// (DOM types: the evaluate() callbacks run in the page.)
/**
 * How the pages look in a real Chromium, measured rather than eyeballed: form controls in the page's
 * font, links in the accent colour, a focus ring with at least 3:1 contrast (WCAG 1.4.11) on links,
 * buttons, inputs and checkboxes, the favicon, and the recent sign-ins table on a desktop and a phone.
 */
import type { Page } from 'playwright-core';
import { run } from '../src/cli/run.js';
import { fromRoot } from '../src/paths.js';
import { launchChromium, type ChromiumSession } from './helpers/chromium.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';

let porta: TestPorta;
const sessions: ChromiumSession[] = [];

beforeAll(async () => {
  porta = await startPorta({ privacyNoticeUrl: 'https://university.example/privacy' });
  // A service with a long name, as universities have, added as an operator would.
  const env = { DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: fromRoot('test/fixtures/clients.json'), NODE_ENV: 'test', LOG_LEVEL: 'silent' };
  const quiet = { write: () => true };
  expect(await run(['clients', 'add', '--id', 'careers', '--public', '--name', 'Gestione delle carriere degli studenti', '--redirect-uri', 'https://careers.example.org/cb'], { stdout: quiet, stderr: quiet, env })).toBe(0);
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await porta.stop();
});

async function newPage(options: Parameters<typeof launchChromium>[0] = {}): Promise<Page> {
  const session = await launchChromium(options);
  sessions.push(session);
  return session.context.newPage();
}

/** "rgb(11, 87, 164)" → [11, 87, 164]. */
const rgb = (css: string) => css.match(/\d+(\.\d+)?/g)!.slice(0, 3).map(Number) as [number, number, number];

/** WCAG 2 contrast ratio of two sRGB colours. */
function contrast(a: [number, number, number], b: [number, number, number]): number {
  const luminance = (c: [number, number, number]) => {
    const [r, g, bl] = c.map((v) => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const WHITE: [number, number, number] = [255, 255, 255];

test('buttons and inputs take the page font; links are the accent colour', async () => {
  const page = await newPage();
  await page.goto(`${porta.issuer}/register`);
  const styles = await page.evaluate(() => {
    const font = (selector: string) => getComputedStyle(document.querySelector(selector)!).fontFamily;
    return {
      body: getComputedStyle(document.body).fontFamily,
      button: font('button[type=submit]'), input: font('input[type=text]'), password: font('input[type=password]'), email: font('input[type=email]'),
      accent: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
      links: Array.from(document.querySelectorAll('main a'), (a) => getComputedStyle(a).color),
      header: getComputedStyle(document.querySelector('header')!).backgroundColor,
    };
  });
  expect(styles.body).toContain('system-ui');
  expect({ button: styles.button, input: styles.input, password: styles.password, email: styles.email })
    .toEqual({ button: styles.body, input: styles.body, password: styles.body, email: styles.body });
  expect(styles.accent).toBe('#0b57a4');
  expect(styles.links.length).toBeGreaterThan(0);
  for (const color of styles.links) expect(color).toBe('rgb(11, 87, 164)');
  // The same accent as the header's.
  expect(styles.header).toBe('rgb(11, 87, 164)');
});

test('the focus ring on links, buttons, inputs and checkboxes has at least 3:1 contrast on white and on the page background', async () => {
  const page = await newPage();
  await page.goto(`${porta.issuer}/register`);
  const background = rgb(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
  const targets = {
    link: page.getByRole('link', { name: 'Read the privacy notice' }),
    button: page.getByRole('button', { name: 'Create account' }),
    input: page.getByLabel('First name'),
    checkbox: page.getByRole('checkbox', { name: 'I have read the privacy notice' }),
    headerLink: page.getByRole('link', { name: 'Italiano' }),
  };
  for (const [name, target] of Object.entries(targets)) {
    await target.focus();
    const ring = await target.evaluate((el) => {
      const s = getComputedStyle(el);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, focused: document.activeElement === el };
    });
    expect({ name, focused: ring.focused, style: ring.style }).toEqual({ name, focused: true, style: 'solid' });
    expect(ring.width).toBeGreaterThanOrEqual(2);
    if (name === 'headerLink') {
      // On the blue header the ring is white, against the header's blue.
      expect(contrast(rgb(ring.color), [11, 87, 164])).toBeGreaterThanOrEqual(3);
    } else {
      expect({ name, onWhite: contrast(rgb(ring.color), WHITE) >= 3, onPage: contrast(rgb(ring.color), background) >= 3 }).toEqual({ name, onWhite: true, onPage: true });
    }
  }
});

test('every page links the favicon, which Porta serves cacheable; /favicon.ico leads to it', async () => {
  const page = await newPage();
  for (const path of ['/', '/register', '/recover/password', '/no-such-page']) {
    await page.goto(`${porta.issuer}${path}`);
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toBe('/static/favicon.svg');
  }
  const icon = await page.request.get(`${porta.issuer}/static/favicon.svg`);
  expect(icon.status()).toBe(200);
  expect(icon.headers()['content-type']).toBe('image/svg+xml');
  expect(icon.headers()['cache-control']).toBe('public, max-age=86400');
  expect(await icon.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const legacy = await page.request.get(`${porta.issuer}/favicon.ico`, { maxRedirects: 0 });
  expect(legacy.status()).toBe(301);
  expect(legacy.headers().location).toBe('/static/favicon.svg');
});

describe('recent sign-ins', () => {
  /** Signs in to the personal area with one earlier sign-in, to the service with a long name, on record. */
  async function accountPage(options: Parameters<typeof launchChromium>[0], ip: string) {
    const account = await porta.createAccount();
    await porta.services.audit.record({ action: 'login.succeeded', actor: `account:${account.id}`, accountId: account.id, clientId: 'careers', ip });
    const page = await newPage(options);
    await page.goto(`${porta.issuer}/account`);
    await page.locator('input[name=login]').fill(account.username!);
    await page.locator('input[name=password]').fill(TEST_PASSWORD);
    await page.locator('button[type=submit].primary').click();
    await page.waitForURL(/\/account$/);
    return page;
  }

  /** How many lines each heading of the table takes. */
  const headingLines = (page: Page) => page.locator('table.logins th').evaluateAll((cells) => cells.map((th) => {
    const range = document.createRange();
    range.selectNodeContents(th);
    return { text: th.textContent, lines: new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size };
  }));

  test.each([['en-US', ['When', 'IP address', 'Service']], ['it-IT', ['Quando', 'Indirizzo IP', 'Servizio']]])('at 1280 px in %s every heading is on one line', async (locale, headings) => {
    const page = await accountPage({ locale, viewport: { width: 1280, height: 900 } }, '192.0.2.1');
    expect(await headingLines(page)).toEqual(headings.map((text) => ({ text, lines: 1 })));
  });

  test('on a phone the table fits the screen: no sideways scrolling, the IPv6 address wraps', async () => {
    const page = await accountPage({ locale: 'it-IT', viewport: { width: 390, height: 844 } }, '2001:db8:85a3:1234:5678:8a2e:370:7334');
    expect(await headingLines(page)).toEqual(['Quando', 'Indirizzo IP', 'Servizio'].map((text) => ({ text, lines: 1 })));
    const { scroll, viewport } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(scroll).toBeLessThanOrEqual(viewport);
    await expect(page.getByRole('cell', { name: '2001:db8:85a3:1234:5678:8a2e:370:7334' }).isVisible()).resolves.toBe(true);
  });
});
