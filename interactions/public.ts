/** Pages outside an authorization request: home, health, readiness, the stylesheet. */
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { relative } from 'node:path';
import Router from '@koa/router';
import { pageContext } from '../src/http/context.js';
import type { Services } from '../src/services.js';
import { fromRoot } from '../src/paths.js';
import { migrationsCurrent, proveWrite } from '../src/storage/db.js';
import { homePage } from './views/pages.js';

const STYLESHEET = readFileSync(fromRoot('interactions/static/porta.css'), 'utf8');
const FAVICON = readFileSync(fromRoot('interactions/static/favicon.svg'), 'utf8');
const PASSKEY_SCRIPT = readFileSync(fromRoot('interactions/static/passkey.js'), 'utf8');
/** @simplewebauthn/browser's ES module build, served from here (no CDN): its files by path, read once. */
const WEBAUTHN_DIR = fromRoot('node_modules/@simplewebauthn/browser/esm');
const WEBAUTHN_MODULES = new Map((readdirSync(WEBAUTHN_DIR, { recursive: true, withFileTypes: true }) as Dirent[])
  .filter((e) => e.isFile() && e.name.endsWith('.js'))
  .map((e) => {
    const file = `${e.parentPath}/${e.name}`;
    return [relative(WEBAUTHN_DIR, file), readFileSync(file, 'utf8')] as const;
  }));

export function publicRoutes(s: Services): Router {
  const router = new Router();

  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = homePage(pageContext(ctx)).value;
  });

  router.get('/static/porta.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = STYLESHEET;
  });

  // Linked from every page (views/layout.ts); a day in caches, as it changes with a release at most.
  router.get('/static/favicon.svg', (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = FAVICON;
  });
  // The passkey pages' one script (no inline script: CSP script-src 'self') and the helper it imports.
  router.get('/static/passkey.js', (ctx) => {
    ctx.type = 'text/javascript';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = PASSKEY_SCRIPT;
  });
  router.get('/static/simplewebauthn/*path', (ctx) => {
    const body = WEBAUTHN_MODULES.get(ctx.path.slice('/static/simplewebauthn/'.length));
    if (body === undefined) return;
    ctx.type = 'text/javascript';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = body;
  });

  // Browsers and tools that ask for /favicon.ico without reading the page get the same icon.
  router.get('/favicon.ico', (ctx) => {
    ctx.status = 301;
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.redirect('/static/favicon.svg');
  });

  // Liveness: the process answers.
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });

  // Readiness: the database answers, its schema is current, and it accepts a write; and whether Redis answers.
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    let status = 'database unreachable';
    try {
      await s.db.raw('select 1');
      if (!(await migrationsCurrent(s.db))) status = 'migrations pending';
      else {
        status = 'database refuses writes';
        await proveWrite(s.db, s.clock.now());
        status = 'ready';
      }
    } catch (err) {
      ctx.state.log.warn({ err }, 'readiness check failed');
    }
    ctx.status = status === 'ready' ? 200 : 503;
    // Reported, never a 503: the limits fall back to the database while Redis is away, and taking every
    // instance out of the load balancer for a Redis outage would stop the service for nothing.
    const redis = await s.rateLimits.redisStatus();
    ctx.body = redis ? { status, redis } : { status };
  });

  return router;
}
