/**
 * npm run bench — how close Porta is to the limits, beside a bare oidc-provider on the same machine.
 *
 * Compiles Porta and the bench servers (bench/tsconfig.json → dist/bench/, as `npm start` runs compiled JS),
 * starts Porta in production mode on a fresh SQLite file and, in the same run, bench/bare.ts (the same
 * oidc-provider, in-memory, configured alike); loads each from this process (autocannon, and a small
 * sign-in client) on 127.0.0.1 only; every load is bounded in time. Each figure is the median of the
 * runs, Porta's and bare's runs interleaved. Then: argon2id's ceiling, 1 vs 2 cluster workers, and
 * storage at 1,000,000 signed-in people. Writes bench/RESULTS.md (keeping its hand-written analysis).
 *
 *   BENCH_QUICK=1  a short smoke run (1 run per figure, 20,000 sessions); its report goes to the temp dir
 *   BENCH_KEEP=1   keep the temp dir (databases, server logs, profiles)
 *   BENCH_PROFILE=1  CPU-profile Porta's first measured run of each workload (.cpuprofile in the temp dir,
 *                  for Chrome DevTools) and print where the time went
 *   BENCH_ONLY=a,b  run only these parts, to iterate on one figure: signin, an HTTP workload's name
 *                  (discovery, jwks, client_credentials, refresh_token, userinfo, introspection), cluster,
 *                  storage, postgres; prints the figures and writes no report — except BENCH_ONLY=postgres,
 *                  which rewrites only the PostgreSQL section of bench/RESULTS.md
 *   BENCH_POSTGRES_URL  the PostgreSQL server the postgres part creates its database on (default: the local
 *                  server on 127.0.0.1:5432 as user postgres); no server answering: the part is skipped
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { fromRoot } from '../src/paths.js';
import { bulkInsert, expireHalf, readTemplates } from './lib/bulk.js';
import { API_RESOURCE, API_SCOPE, BASIC_AUTH, CLIENTS_FILE, password, RESOURCE_SERVERS, username } from './lib/common.js';
import { signIn, send, type Tokens } from './lib/http.js';
import { hammer, type Figures, type Workload } from './lib/load.js';
import { freePort, launch, rss, stopAll, type Proc } from './lib/procs.js';
import { createBenchDatabase, dropBenchDatabase } from './lib/postgres.js';
import { postgresOnly, report, type Results } from './lib/report.js';
import { seedUsers } from './lib/seed.js';
import { argon2Ceiling, signinLoad, type SigninFigures } from './lib/signin.js';
import { summarize } from './lib/profile.js';
import { medianOf } from './lib/stats.js';

const quick = process.env.BENCH_QUICK === '1';
const profiling = process.env.BENCH_PROFILE === '1';
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((x) => x.trim())) : undefined;
const wanted = (part: string) => !only || only.has(part);
const P = quick
  ? { runs: 1, seconds: 2, warmup: 1, connections: 32, users: 24, signinSeconds: 4, signinWarmup: 2, signinConcurrency: 8, argon2Seconds: 2, sessions: 20_000, sweepLoad: 2 }
  : { runs: 3, seconds: 6, warmup: 2, connections: 32, users: 400, signinSeconds: 15, signinWarmup: 3, signinConcurrency: 8, argon2Seconds: 5, sessions: 1_000_000, sweepLoad: 2 };

const began = performance.now();
const say = (msg: string) => console.log(`[${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const dir = mkdtempSync(join(tmpdir(), 'porta-bench-'));
const FORM = 'application/x-www-form-urlencoded';
const secret = () => randomBytes(36).toString('base64url');

const baseEnv = {
  NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORTA_CONFIG: '',
  // glibc gives every thread that allocates (libuv's pool: argon2id's 19 MiB, WebCrypto) its own arena
  // and keeps what it freed there: ~90 MB more RSS. Two arenas cost nothing measurable here.
  MALLOC_ARENA_MAX: '2',
  COOKIE_KEYS: secret(), KEYS_ENCRYPTION_SECRET: secret(), CLIENTS_FILE, RESOURCE_SERVERS,
  // Production settings the bench's loads never use: no mail leaves the machine, registration is not exercised.
  MAIL_TRANSPORT: 'files', MAIL_DIR: join(dir, 'mail'), PRIVACY_NOTICE_URL: 'https://www.example.org/privacy',
  // The bench runs the sweep itself (storage section), so a timer never lands inside another measurement.
  SWEEP_INTERVAL_SECONDS: '0',
  // All the load comes from one address: the per-IP token limiter stays on (its cost is measured) but so
  // high that it never answers 429.
  TOKEN_REQUESTS_PER_IP_PER_MINUTE: '10000000',
};
const at = (port: number) => ({ PORT: String(port), ISSUER: `http://127.0.0.1:${port}` });

interface Server { name: string; proc: Proc; refresh: string[]; access: string[] }

const collector = (s: Server) => (t: Tokens) => {
  s.refresh.push(t.refresh_token);
  if (s.access.length < 256) s.access.push(t.access_token);
};

/** Enough refresh tokens for a run: autocannon loses the ones in flight when it stops. */
async function topUp(s: Server, users: number, need: number) {
  let failures = 0;
  while (s.refresh.length < need) {
    await Promise.all(Array.from({ length: 8 }, async (_, k) => {
      const i = (s.refresh.length + k) % users;
      try {
        collector(s)(await signIn(s.proc.url, username(i), password(i)));
      } catch (err) {
        // A keep-alive socket the server closed just as it was reused: a fresh browser tries again.
        if (++failures > 20) throw err;
      }
    }));
  }
}

// ─── Workloads ─────────────────────────────────────────────────────────────────────────────────────────
const discovery = (): Workload => ({ path: '/.well-known/openid-configuration' });
const jwks = (): Workload => ({ path: '/jwks' });
const clientCredentials = (): Workload => ({
  method: 'POST', path: '/token', headers: { authorization: BASIC_AUTH, 'content-type': FORM },
  body: new URLSearchParams({ grant_type: 'client_credentials', resource: API_RESOURCE, scope: API_SCOPE }).toString(),
});
const refreshToken = (s: Server): Workload => ({
  method: 'POST', path: '/token', headers: { authorization: BASIC_AUTH, 'content-type': FORM },
  setupRequest: (req) => ({ ...req, body: `grant_type=refresh_token&refresh_token=${s.refresh.shift() ?? 'pool-empty'}` }),
  onResponse: (status, body) => { if (status === 200) s.refresh.push((JSON.parse(body) as Tokens).refresh_token); },
});
const cycle = (list: string[]) => { let i = 0; return () => list[i++ % list.length]!; };
const userinfo = (s: Server): Workload => {
  const next = cycle(s.access);
  return { path: '/me', setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${next()}` } }) };
};
const introspection = (s: Server): Workload => {
  const next = cycle(s.access);
  return {
    method: 'POST', path: '/token/introspection', headers: { authorization: BASIC_AUTH, 'content-type': FORM },
    setupRequest: (req) => ({ ...req, body: `token=${next()}&token_type_hint=access_token` }),
  };
};

/** Warm both up, then alternate their runs; medians. */
async function sideBySide(label: string, servers: Server[], workload: (s: Server) => Workload, users: number): Promise<Record<string, Figures>> {
  const runs: Record<string, Figures[]> = {};
  for (let r = -1; r < P.runs; r++) {
    for (const s of servers) {
      if (workload === refreshToken) await topUp(s, users, P.connections * 3);
      const profile = profiling && r === 0 && s.name === 'Porta' ? join(dir, `${label.replace(/\W+/g, '-')}.cpuprofile`) : undefined;
      if (profile) await s.proc.ask({ type: 'profile', file: profile });
      const figures = await hammer(s.proc.url, workload(s), P.connections, r < 0 ? P.warmup : P.seconds, s.proc.child.pid);
      if (profile) {
        await s.proc.ask({ type: 'profile', file: profile });
        say(`profile of Porta under ${label}: ${profile}\n${summarize(profile)}`);
      }
      if (r >= 0) (runs[s.name] ??= []).push(figures);
    }
  }
  const out = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, medianOf(list)]));
  say(`${label}: ${Object.entries(out).map(([n, f]) => `${n} ${f.rps.toFixed(0)} req/s p99 ${f.p99} ms${f.failed ? ` (${f.failed} FAILED)` : ''}`).join(' | ')}${out.Porta && out.bare ? ` | Porta / bare ${(out.Porta.rps / out.bare.rps).toFixed(2)}` : ''}`);
  return out;
}

/** Porta and bare run compiled, as production runs Porta (`npm start`): no tsx loader thread. */
const PORTA_SERVER = 'dist/bench/bench/porta-server.js';
const BARE_SERVER = 'dist/bench/bench/bare.js';
const PORTA_MAIN = 'dist/bench/src/main.js';
function compile() {
  // tsc still emits when someone's work in progress elsewhere does not typecheck; the files must exist.
  rmSync(fromRoot('dist/bench'), { recursive: true, force: true });
  spawnSync(process.execPath, [fromRoot('node_modules/typescript/bin/tsc'), '-p', fromRoot('bench/tsconfig.json')], { stdio: 'ignore' });
  for (const file of [PORTA_SERVER, BARE_SERVER, PORTA_MAIN]) if (!existsSync(fromRoot(file))) throw new Error(`compiling bench/tsconfig.json did not produce ${file}`);
}

async function main() {
  say('compiling Porta and the bench servers (bench/tsconfig.json → dist/bench/)');
  compile();
  const results: Partial<Results> & Pick<Results, 'http' | 'cluster'> = {
    date: new Date().toISOString(), quick, params: P,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: totalmem() / 2 ** 30, node: process.version, os: `${process.platform} ${release()}` },
    command: quick ? 'BENCH_QUICK=1 npm run bench' : 'npm run bench',
    http: {}, cluster: {},
  };

  // ─── Porta and bare, one process each ──────────────────────────────────────────────────────────────
  const portaPort = await freePort();
  const portaEnv = { ...baseEnv, ...at(portaPort), DATABASE_URL: join(dir, 'porta.sqlite') };
  const config = loadConfig({ env: portaEnv });
  results.argon2 = { memoryKib: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: config.argon2Parallelism };
  say(`seeding ${P.users} accounts (argon2id m=${config.argon2MemoryKib} KiB t=${config.argon2TimeCost} p=${config.argon2Parallelism}) in ${dir}`);
  await seedUsers(config, P.users);

  const porta: Server = { name: 'Porta', proc: await launch(PORTA_SERVER, portaEnv, join(dir, 'porta.log')), refresh: [], access: [] };
  const bare: Server = { name: 'bare', proc: await launch(BARE_SERVER, { ...baseEnv, ...at(await freePort()) }, join(dir, 'bare.log')), refresh: [], access: [] };
  const servers = [porta, bare];
  say(`Porta ${porta.proc.url} (pid ${porta.proc.child.pid}), bare oidc-provider ${bare.proc.url} (pid ${bare.proc.child.pid})`);

  // Full password sign-in by distinct users, each run next to a measure of argon2id's ceiling (here,
  // in-process, while both servers idle) so that the two see the same machine; its tokens feed the later workloads.
  const signin: Record<string, SigninFigures[]> = {};
  const ceilings = [];
  for (let r = -1; r < (wanted('signin') ? P.runs : -1); r++) {
    if (r >= 0) ceilings.push(await argon2Ceiling({ memoryKib: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: config.argon2Parallelism }, P.argon2Seconds));
    for (const s of servers) {
      const profile = profiling && r === 0 && s.name === 'Porta' ? join(dir, 'signin.cpuprofile') : undefined;
      if (profile) await s.proc.ask({ type: 'profile', file: profile });
      const figures = await signinLoad(s.proc.url, P.users, P.signinConcurrency, r < 0 ? P.signinWarmup : P.signinSeconds, collector(s));
      if (profile) {
        await s.proc.ask({ type: 'profile', file: profile });
        say(`profile of Porta under sign-in: ${profile}\n${summarize(profile)}`);
      }
      if (figures.failed) say(`  ${s.name} sign-in failures: ${figures.failed} (${figures.firstError})`);
      if (r >= 0) (signin[s.name] ??= []).push(figures);
    }
  }
  if (wanted('signin')) {
    results.ceiling = medianOf(ceilings);
    say(`argon2id ceiling: ${results.ceiling.rate.toFixed(1)} verifications/s on ${results.ceiling.threads} threads (runs: ${ceilings.map((c) => c.rate.toFixed(0)).join(', ')})`);
    results.signin = { porta: medianOf(signin.Porta!), bare: medianOf(signin.bare!) };
    say(`sign-in: Porta ${results.signin.porta.rate.toFixed(1)}/s, bare ${results.signin.bare.rate.toFixed(1)}/s (Porta / ceiling ${(results.signin.porta.rate / results.ceiling.rate).toFixed(2)})`);
  }

  for (const [name, workload] of [
    ['discovery', discovery], ['jwks', jwks], ['client_credentials', clientCredentials], ['refresh_token', refreshToken],
    ['userinfo', userinfo], ['introspection', introspection],
  ] as const) {
    if (!wanted(name)) continue;
    if (servers.some((s) => s.access.length === 0)) for (const s of servers) await topUp(s, P.users, 8);
    const out = await sideBySide(name, servers, workload, P.users);
    results.http[name] = { porta: out.Porta!, bare: out.bare! };
  }
  const portaRss = rss(porta.proc.child.pid!);
  results.portaRss = portaRss;
  await Promise.all(servers.map((s) => s.proc.stop()));

  // ─── Cluster: 1 vs 2 workers (src/main.ts, PORTA_WORKERS) on the same database ─────────────────────
  const workers: Server[] = [];
  for (const n of wanted('cluster') ? [1, 2] : []) {
    const port = await freePort();
    const proc = await launch(PORTA_MAIN, { ...portaEnv, ...at(port), PORTA_WORKERS: String(n) }, join(dir, `porta-${n}w.log`), `http://127.0.0.1:${port}`);
    workers.push({ name: `${n}w`, proc, refresh: porta.refresh, access: porta.access });
  }
  if (workers.length) say(`cluster: 1 worker ${workers[0]!.proc.url}, 2 workers ${workers[1]!.proc.url}`);
  for (const [name, workload] of wanted('cluster') ? [['client_credentials', clientCredentials], ['refresh_token', refreshToken]] as const : []) {
    const out = await sideBySide(`${name}, 1 vs 2 workers`, workers, workload, P.users);
    results.cluster[name] = { one: out['1w']!, two: out['2w']! };
  }
  await Promise.all(workers.map((w) => w.proc.stop()));

  // ─── PostgreSQL beside SQLite, and 1 vs 2 instances on PostgreSQL ──────────────────────────────────
  if (wanted('postgres')) results.postgres = await postgres(portaEnv);

  // ─── Storage scale ──────────────────────────────────────────────────────────────────────────────────
  if (wanted('storage')) results.storage = await storage();
  if (only?.size === 1 && only.has('postgres') && !quick && results.postgres) {
    const file = fromRoot('bench/RESULTS.md');
    writeFileSync(file, postgresOnly(results as Results, readFileSync(file, 'utf8')));
    say(`PostgreSQL section written to ${file}`);
    return;
  }
  if (only) {
    console.log(JSON.stringify({ ...results, params: undefined }, null, 2));
    return;
  }

  const markdown = report(results as Results, existsSync(fromRoot('bench/RESULTS.md')) ? readFileSync(fromRoot('bench/RESULTS.md'), 'utf8') : '');
  const out = quick ? join(tmpdir(), 'porta-bench-RESULTS.quick.md') : fromRoot('bench/RESULTS.md');
  writeFileSync(out, markdown);
  console.log(`\n${markdown}`);
  say(`written to ${out}`);
}

/**
 * The same Porta on a PostgreSQL database beside the SQLite one (runs interleaved), then PORTA_WORKERS 1 vs 2 on
 * PostgreSQL: each worker is a Porta instance with its own connection pool, sharing nothing but the database — as
 * two instances behind a load balancer, with the kernel spreading connections instead.
 */
async function postgres(sqliteEnv: Record<string, string>): Promise<Results['postgres']> {
  const made = await createBenchDatabase();
  if (!made.url) {
    say(`postgres: skipped, ${made.reason}`);
    return { skipped: made.reason!, signin: undefined, http: {}, instances: {} };
  }
  const url = made.url;
  try {
    const pgEnv = { ...sqliteEnv, ...at(await freePort()), DATABASE_URL: url };
    const config = loadConfig({ env: pgEnv });
    say(`postgres: seeding ${P.users} accounts in ${new URL(url).pathname.slice(1)} (pool ${config.databasePoolMax} per process)`);
    await seedUsers(config, P.users);
    // The SQLite file was seeded at the start; a fresh Porta on it, so both start equally warm.
    const sqlite: Server = { name: 'SQLite', proc: await launch(PORTA_SERVER, { ...sqliteEnv, ...at(await freePort()) }, join(dir, 'porta-sqlite.log')), refresh: [], access: [] };
    const onPg: Server = { name: 'PostgreSQL', proc: await launch(PORTA_SERVER, pgEnv, join(dir, 'porta-pg.log')), refresh: [], access: [] };
    const pair = [sqlite, onPg];
    const signin: Record<string, SigninFigures[]> = {};
    for (let r = -1; r < P.runs; r++) {
      for (const s of pair) {
        const figures = await signinLoad(s.proc.url, P.users, P.signinConcurrency, r < 0 ? P.signinWarmup : P.signinSeconds, collector(s));
        if (figures.failed) say(`  ${s.name} sign-in failures: ${figures.failed} (${figures.firstError})`);
        if (r >= 0) (signin[s.name] ??= []).push(figures);
      }
    }
    const out: NonNullable<Results['postgres']> = {
      signin: { sqlite: medianOf(signin.SQLite!), pg: medianOf(signin.PostgreSQL!) }, http: {}, instances: {},
    };
    say(`postgres: sign-in SQLite ${out.signin!.sqlite.rate.toFixed(1)}/s, PostgreSQL ${out.signin!.pg.rate.toFixed(1)}/s`);
    for (const [name, workload] of [['client_credentials', clientCredentials], ['refresh_token', refreshToken]] as const) {
      const figures = await sideBySide(`${name}, SQLite vs PostgreSQL`, pair, workload, P.users);
      out.http[name] = { sqlite: figures.SQLite!, pg: figures.PostgreSQL! };
    }
    await Promise.all(pair.map((s) => s.proc.stop()));

    const instances: Server[] = [];
    for (const n of [1, 2]) {
      const port = await freePort();
      const proc = await launch(PORTA_MAIN, { ...pgEnv, ...at(port), PORTA_WORKERS: String(n) }, join(dir, `porta-pg-${n}w.log`), `http://127.0.0.1:${port}`);
      instances.push({ name: `${n}i`, proc, refresh: onPg.refresh, access: onPg.access });
    }
    for (const [name, workload] of [['client_credentials', clientCredentials], ['refresh_token', refreshToken]] as const) {
      const figures = await sideBySide(`${name}, PostgreSQL, 1 vs 2 instances`, instances, workload, P.users);
      out.instances[name] = { one: figures['1i']!, two: figures['2i']! };
    }
    await Promise.all(instances.map((s) => s.proc.stop()));
    return out;
  } finally {
    await stopAll();
    await dropBenchDatabase(url);
  }
}

async function storage(): Promise<Results['storage']> {
  const sdir = join(dir, 'storage');
  const file = join(sdir, 'porta.sqlite');
  const env = { ...baseEnv, ...at(await freePort()), DATABASE_URL: file };
  const config = loadConfig({ env });
  const users = 64;
  await seedUsers(config, users);
  const startPorta = async (): Promise<Server> => ({ name: 'Porta', proc: await launch(PORTA_SERVER, env, join(sdir, 'porta.log')), refresh: [] as string[], access: [] as string[] });

  let s = await startPorta();
  await topUp(s, users, P.connections * 4);
  const empty = await refreshRuns(s, users);
  say(`storage: refresh_token on an empty database ${empty.rps.toFixed(0)} req/s`);
  const pool = s.refresh;
  await s.proc.stop();

  const size = () => statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
  const templates = readTemplates(file);
  const sizeBefore = size();
  say(`storage: inserting ${P.sessions.toLocaleString('en')} signed-in people (Session + Grant + RefreshToken + AccessToken each)`);
  const ttl = { Session: config.sessionTtlSeconds, Grant: config.refreshTokenTtlSeconds, RefreshToken: config.refreshTokenTtlSeconds, AccessToken: config.accessTokenTtlSeconds };
  const inserted = bulkInsert(file, templates, P.sessions, ttl, (n) => { if (n % 250_000 === 0) say(`  ${n.toLocaleString('en')}`); });
  const sizeAfter = size();
  say(`storage: ${inserted.rows.toLocaleString('en')} rows in ${(inserted.ms / 1000).toFixed(1)} s; ${((sizeAfter - sizeBefore) / P.sessions).toFixed(0)} bytes per person`);

  s = await startPorta();
  s.refresh = pool;
  const full = await refreshRuns(s, users);
  const memory = rss(s.proc.child.pid!);
  say(`storage: refresh_token at ${P.sessions.toLocaleString('en')} ${full.rps.toFixed(0)} req/s; RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB (peak ${(memory.peak / 2 ** 20).toFixed(0)} MiB)`);

  const expired = expireHalf(file, inserted, templates.length);
  say(`storage: expired ${expired.rows.toLocaleString('en')} rows in ${(expired.ms / 1000).toFixed(1)} s; sweeping with SWEEP_BATCH_SIZE=${config.sweepBatchSize}`);
  const sweep = await sweepUnderLoad(s, users);
  say(`storage: sweep ${sweep.rows.toLocaleString('en')} rows in ${(sweep.ms / 1000).toFixed(1)} s; worst request ${sweep.worstDuring.toFixed(1)} ms during (${sweep.worstBefore.toFixed(1)} ms before); event loop held ≤ ${sweep.maxEventLoopDelayMs.toFixed(1)} ms; longest batch ${sweep.longestBatchMs.toFixed(1)} ms`);
  const sizeSwept = size();
  await s.proc.stop();
  return { sessions: P.sessions, rows: inserted.rows, insertSeconds: inserted.ms / 1000, bytesPerSession: (sizeAfter - sizeBefore) / P.sessions, fileBytes: sizeAfter, fileBytesAfterSweep: sizeSwept, empty, full, memory, expired: expired.rows, sweep, batchSize: config.sweepBatchSize };
}

async function refreshRuns(s: Server, users: number): Promise<Figures> {
  const runs: Figures[] = [];
  for (let r = -1; r < P.runs; r++) {
    await topUp(s, users, P.connections * 3);
    const f = await hammer(s.proc.url, refreshToken(s), P.connections, r < 0 ? P.warmup : P.seconds, s.proc.child.pid);
    if (r >= 0) runs.push(f);
  }
  return medianOf(runs);
}

/** A steady trickle of refresh_token requests (P.sweepLoad at a time) before and while the sweep runs. */
async function sweepUnderLoad(s: Server, users: number) {
  await topUp(s, users, P.sweepLoad * 16);
  const samples: { start: number; ms: number }[] = [];
  let running = true;
  let failures = 0;
  const loops = Array.from({ length: P.sweepLoad }, async () => {
    while (running) {
      const token = s.refresh.shift();
      if (!token) throw new Error('refresh during sweep: no refresh token left');
      const t0 = performance.now();
      try {
        const reply = await send(new URL('/token', s.proc.url), 'POST', { authorization: BASIC_AUTH, 'content-type': FORM }, `grant_type=refresh_token&refresh_token=${token}`);
        samples.push({ start: t0, ms: performance.now() - t0 });
        if (reply.status === 200) s.refresh.push((JSON.parse(reply.body) as Tokens).refresh_token);
        else failures++;
      } catch {
        failures++;
      }
    }
  });
  await new Promise((ok) => setTimeout(ok, 3000));
  const sweepStart = performance.now();
  const result = await s.proc.ask<{ rows: number; ms: number; longestBatchMs: number; maxEventLoopDelayMs: number; p99EventLoopDelayMs: number; error?: string }>({ type: 'sweep' });
  const sweepEnd = performance.now();
  running = false;
  await Promise.all(loops);
  if (result.error) throw new Error(`sweep failed: ${result.error}`);
  const before = samples.filter((x) => x.start < sweepStart);
  const during = samples.filter((x) => x.start >= sweepStart && x.start < sweepEnd);
  const worst = (xs: { ms: number }[]) => xs.reduce((m, x) => Math.max(m, x.ms), 0);
  const sorted = during.map((x) => x.ms).sort((a, b) => a - b);
  return {
    ...result, failed: failures, requestsDuring: during.length, worstBefore: worst(before), worstDuring: worst(during),
    p99During: sorted[Math.floor(sorted.length * 0.99)] ?? NaN,
    medianBefore: before.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(before.length / 2)] ?? NaN,
  };
}

try {
  await main();
} finally {
  await stopAll();
  if (process.env.BENCH_KEEP === '1') say(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
