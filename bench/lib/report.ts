/** bench/RESULTS.md from one run's figures; the hand-written analysis between its markers is kept. */
import type { Figures } from './load.js';
import type { SigninFigures } from './signin.js';

export interface Results {
  date: string;
  quick: boolean;
  command: string;
  params: { runs: number; seconds: number; warmup: number; connections: number; users: number; signinSeconds: number; signinConcurrency: number; argon2Seconds: number; sessions: number; sweepLoad: number };
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; os: string };
  argon2: { memoryKib: number; timeCost: number; parallelism: number };
  ceiling: { rate: number; threads: number };
  signin: { porta: SigninFigures; bare: SigninFigures };
  http: Record<string, { porta: Figures; bare: Figures }>;
  portaRss: { rss: number; peak: number };
  cluster: Record<string, { one: Figures; two: Figures }>;
  /** Absent: the part did not run; `skipped`: no PostgreSQL server answered. */
  postgres?: {
    skipped?: string;
    signin: { sqlite: SigninFigures; pg: SigninFigures } | undefined;
    http: Record<string, { sqlite: Figures; pg: Figures }>;
    instances: Record<string, { one: Figures; two: Figures }>;
  };
  storage: {
    sessions: number; rows: number; insertSeconds: number; bytesPerSession: number; fileBytes: number; fileBytesAfterSweep: number;
    empty: Figures; full: Figures; memory: { rss: number; peak: number }; expired: number; batchSize: number;
    sweep: { failed: number; rows: number; ms: number; longestBatchMs: number; maxEventLoopDelayMs: number; p99EventLoopDelayMs: number; requestsDuring: number; worstBefore: number; worstDuring: number; p99During: number; medianBefore: number };
  };
}

const START = '<!-- analysis:start -->';
const PG_START = '<!-- postgres:start -->';
const PG_END = '<!-- postgres:end -->';
const END = '<!-- analysis:end -->';
const PLACEHOLDER = '_Not written yet: read the figures above, profile what misses a target, and say here what remains and why._';

const n0 = (x: number) => Math.round(x).toLocaleString('en');
const n1 = (x: number) => x.toFixed(1);
const n2 = (x: number) => x.toFixed(2);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const ms = (x: number) => `${x < 10 ? x.toFixed(1) : x.toFixed(0)} ms`;
const check = (ok: boolean) => (ok ? '✅ met' : '❌ missed');
const failed = (f: { failed: number }) => (f.failed ? ` ⚠ ${f.failed} failed` : '');

export function report(r: Results, previous: string): string {
  const s = r.storage;
  const cc = r.http.client_credentials!;
  const rt = r.http.refresh_token!;
  const signinRatio = r.signin.porta.rate / r.ceiling.rate;
  const targets: [string, string, boolean][] = [
    ['client_credentials ≥ 0.9 × bare (req/s, one process each)', `${n2(cc.porta.rps / cc.bare.rps)} ×`, cc.porta.rps >= 0.9 * cc.bare.rps],
    ['refresh_token ≥ 0.9 × bare (req/s, one process each)', `${n2(rt.porta.rps / rt.bare.rps)} ×`, rt.porta.rps >= 0.9 * rt.bare.rps],
    [`full password sign-in ≥ 0.85 × argon2id verify ceiling`, `${n2(signinRatio)} ×`, signinRatio >= 0.85],
    ['client_credentials p99 at 32 connections ≤ 1.5 × bare', `${n2(cc.porta.p99 / cc.bare.p99)} ×`, cc.porta.p99 <= 1.5 * cc.bare.p99],
    ['refresh_token p99 at 32 connections ≤ 1.5 × bare', `${n2(rt.porta.p99 / rt.bare.p99)} ×`, rt.porta.p99 <= 1.5 * rt.bare.p99],
    ...Object.entries(r.cluster).map(([name, c]): [string, string, boolean] => [`${name}: 2 workers ≥ 1.4 × 1 worker`, `${n2(c.two.rps / c.one.rps)} ×`, c.two.rps >= 1.4 * c.one.rps]),
    ...postgresTargets(r),
    [`refresh_token at ${n0(s.sessions)} sessions ≥ 0.9 × empty database`, `${n2(s.full.rps / s.empty.rps)} ×`, s.full.rps >= 0.9 * s.empty.rps],
    [`Porta RSS at ${n0(s.sessions)} sessions < 250 MB`, `${mb(s.memory.rss)} (peak ${mb(s.memory.peak)})`, s.memory.peak < 250e6],
    ['no request waits > 20 ms behind the expiry sweep', `worst ${ms(s.sweep.worstDuring)}`, s.sweep.worstDuring <= 20],
  ];

  const cpu = (f: Figures) => `${n0(f.serverCpu)} / ${n0(f.loadCpu)}`;
  const httpRows = Object.entries(r.http).map(([name, { porta, bare }]) =>
    `| ${name} | ${n0(porta.rps)}${failed(porta)} | ${n0(bare.rps)}${failed(bare)} | **${n2(porta.rps / bare.rps)}** | ${porta.p50} / ${porta.p99} | ${bare.p50} / ${bare.p99} | ${n2(porta.p99 / bare.p99)} | ${cpu(porta)} | ${cpu(bare)} |`);
  const clusterRows = Object.entries(r.cluster).map(([name, { one, two }]) =>
    `| ${name} | ${n0(one.rps)}${failed(one)} | ${n0(two.rps)}${failed(two)} | **${n2(two.rps / one.rps)}** | ${one.p99} | ${two.p99} | ${cpu(one)} | ${cpu(two)} |`);

  const analysis = previous.includes(START) && previous.includes(END)
    ? previous.slice(previous.indexOf(START) + START.length, previous.indexOf(END)).trim()
    : PLACEHOLDER;
  const p = r.params;

  return `# Porta benchmark results

How close Porta is to the limits of this machine: each figure beside the same oidc-provider run bare
(\`bench/bare.ts\`: in-memory adapter, configured as Porta configures it), and password sign-ins beside
argon2id's own ceiling. Produced by \`${r.command}\` (bench/run.ts)${r.quick ? ' — **a quick smoke run, not the reference figures**' : ''}.

| | |
| --- | --- |
| Date | ${r.date} |
| Command | \`${r.command}\` |
| CPU | ${r.machine.cpu}, ${r.machine.cores} cores (\`os.cpus()\`) |
| Memory | ${n1(r.machine.memoryGiB)} GiB |
| Node | ${r.machine.node} |
| OS | ${r.machine.os} |
| Method | every figure is the median of ${p.runs} run${p.runs > 1 ? 's' : ''} of ${p.seconds} s after a ${p.warmup} s warm-up, Porta's and bare's runs alternating; autocannon, ${p.connections} connections, from the bench process to 127.0.0.1 |
| Porta | compiled JS (bench/tsconfig.json → dist/bench/), production mode (\`NODE_ENV=production\`, \`LOG_LEVEL=info\`: one JSON log line per request, through a pipe as under systemd or docker), fresh SQLite file in WAL mode, clients from bench/clients.json, \`SWEEP_INTERVAL_SECONDS=0\` (the bench runs the sweep itself), \`MALLOC_ARENA_MAX=2\` (both servers) |
| argon2id | m=${r.argon2.memoryKib} KiB, t=${r.argon2.timeCost}, p=${r.argon2.parallelism} (Porta's defaults) |

## Targets

| Target | Measured | |
| --- | --- | --- |
${targets.map(([t, v, ok]) => `| ${t} | ${v} | ${check(ok)} |`).join('\n')}

## Porta beside bare oidc-provider — one process each, ${p.connections} connections

| Workload | Porta req/s | bare req/s | Porta / bare | Porta p50 / p99 ms | bare p50 / p99 ms | p99 ratio | CPU % Porta / load gen. | CPU % bare / load gen. |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${httpRows.join('\n')}

- **discovery** \`GET /.well-known/openid-configuration\`; **jwks** \`GET /jwks\`.
- **client_credentials** \`POST /token\` with \`resource=https://api.bench.test\`: an ES256-signed JWT access token for the API (not stored).
- **refresh_token** \`POST /token\`, rotation on: each request spends the refresh token the previous answer returned (a pool of chains from real sign-ins) and gets a new refresh token, an opaque access token and an RS256 ID token.
- **userinfo** \`GET /me\` and **introspection** \`POST /token/introspection\` with opaque access tokens from real sign-ins.
- Porta's process after these runs: RSS ${mb(r.portaRss.rss)}, peak ${mb(r.portaRss.peak)}.

## Full password sign-in

${p.signinConcurrency} people at a time, each a fresh browser (no SSO session), cycling through ${n0(p.users)} distinct accounts, each with its own password:
\`GET /auth\` → login page → \`POST\` credentials (CSRF token, argon2id) → redirect with the code → \`POST /token\` (PKCE).
Driven by a small keep-alive HTTP client in the bench process; ${p.signinSeconds} s per run.

| | sign-ins/s | p50 ms | p99 ms |
| --- | ---: | ---: | ---: |
| Porta | **${n1(r.signin.porta.rate)}**${failed(r.signin.porta)} | ${n0(r.signin.porta.p50)} | ${n0(r.signin.porta.p99)} |
| bare oidc-provider + one argon2id verification per sign-in | ${n1(r.signin.bare.rate)}${failed(r.signin.bare)} | ${n0(r.signin.bare.p50)} | ${n0(r.signin.bare.p99)} |
| argon2id verifications/s, in-process, ${r.ceiling.threads} at a time (all cores busy), measured before each pair of runs — the ceiling | **${n1(r.ceiling.rate)}** | | |

Porta / ceiling: **${n2(signinRatio)}**; Porta / bare: ${n2(r.signin.porta.rate / r.signin.bare.rate)}.

## Cluster — \`PORTA_WORKERS\` 1 vs 2 (src/main.ts, one SQLite file)

| Workload | 1 worker req/s | 2 workers req/s | 2 / 1 | 1 worker p99 ms | 2 workers p99 ms | CPU % 1 worker / load gen. | CPU % 2 workers / load gen. |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${clusterRows.join('\n')}

CPU % is of one core (${r.machine.cores} cores = ${r.machine.cores * 100} %), measured from /proc over each run: the server's processes (primary and workers; threads included — WebCrypto signs on libuv's pool, so one Porta process already uses more than one core) and the load generator, which runs on the same cores.

${postgresSection(r)}

## Storage — ${n0(s.sessions)} signed-in people

Each person is a Session, its Grant, a RefreshToken and an AccessToken (${n0(s.rows)} rows in \`oidc_payloads\`),
cloned from the rows of a real sign-in with fresh ids, inserted in ${n1(s.insertSeconds)} s by batched multi-row INSERTs.

| | |
| --- | --- |
| Database bytes per person (4 rows, indexes included) | **${n0(s.bytesPerSession)}** |
| Database file | ${mb(s.fileBytes)} (${mb(s.fileBytesAfterSweep)} after the sweep: SQLite keeps freed pages) |
| refresh_token, empty database | ${n0(s.empty.rps)} req/s, p99 ${s.empty.p99} ms${failed(s.empty)} |
| refresh_token, ${n0(s.sessions)} people | ${n0(s.full.rps)} req/s, p99 ${s.full.p99} ms${failed(s.full)} — **${n2(s.full.rps / s.empty.rps)} ×** |
| Porta RSS after those runs | **${mb(s.memory.rss)}** (peak ${mb(s.memory.peak)}) |
| Expiry sweep of ${n0(s.expired)} expired rows (half the people): a worker thread, batches of at most \`SWEEP_BATCH_SIZE=${s.batchSize}\` rows and ~5 ms | ${n1(s.sweep.ms / 1000)} s, ${n0(s.sweep.rows)} rows, ${n0(s.sweep.rows / (s.sweep.ms / 1000))} rows/s |
| Longest sweep batch (holds SQLite's write lock) | ${ms(s.sweep.longestBatchMs)} |
| Porta's event loop during the sweep, longest delay (event-loop delay monitor, in-process) | ${ms(s.sweep.maxEventLoopDelayMs)} (p99 ${ms(s.sweep.p99EventLoopDelayMs)}) |
| refresh_token requests during the sweep (${p.sweepLoad} at a time) | ${n0(s.sweep.requestsDuring)}${failed(s.sweep)}; worst **${ms(s.sweep.worstDuring)}**, p99 ${ms(s.sweep.p99During)} |
| … the same requests in the 3 s before it | median ${ms(s.sweep.medianBefore)}, worst ${ms(s.sweep.worstBefore)} |

## Analysis

${START}
${analysis}
${END}
`;
}

function postgresTargets(r: Results): [string, string, boolean][] {
  const pgr = r.postgres;
  if (!pgr || pgr.skipped || !pgr.signin) return [];
  return [
    ...Object.entries(pgr.http).map(([name, { sqlite, pg }]): [string, string, boolean] => [`${name} on PostgreSQL ≥ 0.8 × SQLite (one instance)`, `${n2(pg.rps / sqlite.rps)} ×`, pg.rps >= 0.8 * sqlite.rps]),
    ['full sign-in on PostgreSQL ≥ 0.8 × SQLite (one instance)', `${n2(pgr.signin.pg.rate / pgr.signin.sqlite.rate)} ×`, pgr.signin.pg.rate >= 0.8 * pgr.signin.sqlite.rate],
    ...Object.entries(pgr.instances).map(([name, c]): [string, string, boolean] => [`${name} on PostgreSQL: 2 instances ≥ 1.4 × 1`, `${n2(c.two.rps / c.one.rps)} ×`, c.two.rps >= 1.4 * c.one.rps]),
  ];
}

/** The PostgreSQL section, between markers so that `BENCH_ONLY=postgres` can rewrite it alone. */
function postgresSection(r: Results): string {
  const pgr = r.postgres;
  const body = !pgr
    ? '_Not measured in this run._'
    : pgr.skipped || !pgr.signin
      ? `_Skipped: ${pgr.skipped ?? 'no figures'}._`
      : postgresTables(r, { ...pgr, signin: pgr.signin });
  return `${PG_START}
## PostgreSQL — beside SQLite, and 1 vs 2 instances

${body}
${PG_END}`;
}

function postgresTables(r: Results, pgr: NonNullable<Results['postgres']> & { signin: NonNullable<NonNullable<Results['postgres']>['signin']> }): string {
  const cpu = (f: Figures) => `${n0(f.serverCpu)} / ${n0(f.loadCpu)}`;
  const p = r.params;
  return `The same Porta (compiled, production mode) on PostgreSQL on 127.0.0.1 (a fresh database, \`DATABASE_POOL_MAX\` default) and on a SQLite file, runs interleaved; ${p.connections} connections, medians of ${p.runs} run${p.runs > 1 ? 's' : ''} of ${p.seconds} s (sign-in: ${p.signinSeconds} s, ${p.signinConcurrency} at a time). The PostgreSQL server runs on the same ${r.machine.cores} cores, so its CPU is not in Porta's column but competes with it.

| Workload | SQLite req/s | PostgreSQL req/s | PostgreSQL / SQLite | SQLite p99 ms | PostgreSQL p99 ms | CPU % Porta / load gen., SQLite | CPU % Porta / load gen., PostgreSQL |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${Object.entries(pgr.http).map(([name, { sqlite, pg }]) => `| ${name} | ${n0(sqlite.rps)}${failed(sqlite)} | ${n0(pg.rps)}${failed(pg)} | **${n2(pg.rps / sqlite.rps)}** | ${sqlite.p99} | ${pg.p99} | ${cpu(sqlite)} | ${cpu(pg)} |`).join('\n')}
| full sign-in (sign-ins/s) | ${n1(pgr.signin.sqlite.rate)}${failed(pgr.signin.sqlite)} | ${n1(pgr.signin.pg.rate)}${failed(pgr.signin.pg)} | **${n2(pgr.signin.pg.rate / pgr.signin.sqlite.rate)}** | ${n0(pgr.signin.sqlite.p99)} | ${n0(pgr.signin.pg.p99)} | | |

Instances on one PostgreSQL database: \`PORTA_WORKERS\` 1 and 2 (src/main.ts), each worker a Porta instance with its own connection pool; the kernel spreads connections between them, as a load balancer would.

| Workload | 1 instance req/s | 2 instances req/s | 2 / 1 | 1 instance p99 ms | 2 instances p99 ms | CPU % Porta / load gen., 1 | CPU % Porta / load gen., 2 |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${Object.entries(pgr.instances).map(([name, { one, two }]) => `| ${name} | ${n0(one.rps)}${failed(one)} | ${n0(two.rps)}${failed(two)} | **${n2(two.rps / one.rps)}** | ${one.p99} | ${two.p99} | ${cpu(one)} | ${cpu(two)} |`).join('\n')}

With ${r.machine.cores} cores shared by Porta, PostgreSQL and the load generator, 2 instances can add only what the cores have left: compare the CPU columns.`;
}

/** \`BENCH_ONLY=postgres\`: the previous report with only its PostgreSQL section (and targets) replaced. */
export function postgresOnly(r: Results, previous: string): string {
  const section = postgresSection(r);
  const targets = postgresTargets(r).map(([t, v, ok]) => `| ${t} | ${v} | ${check(ok)} |`);
  let out = previous.includes(PG_START) && previous.includes(PG_END)
    ? previous.slice(0, previous.indexOf(PG_START)) + section + previous.slice(previous.indexOf(PG_END) + PG_END.length)
    : previous.replace('\n## Storage', `\n${section}\n\n## Storage`);
  // Targets table: drop the previous PostgreSQL rows, add these after the last cluster row.
  out = out.split('\n').filter((line) => !/^\| .* on PostgreSQL/.test(line)).join('\n');
  const anchor = out.split('\n').findLastIndex((line) => /^\| .*: 2 workers ≥ 1\.4 × 1 worker/.test(line));
  if (anchor >= 0) {
    const lines = out.split('\n');
    lines.splice(anchor + 1, 0, ...targets);
    out = lines.join('\n');
  }
  return out;
}
