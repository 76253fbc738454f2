/** Cluster mode: the real process with PORTA_WORKERS=2 — one port, shared keys and clients, a clean stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { fromRoot } from '../src/paths.js';
import { openDatabase } from '../src/storage/db.js';
import { createTestDatabase, dropTestDatabase } from './helpers/database.js';

const API = 'https://api.cluster.test';
const CLIENT = { client_id: 'cluster-batch', client_secret: 'cluster-batch-secret-0123456789abcdefghij' };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

interface Started { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function porta(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: fromRoot(),
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '', PORTA_CONFIG: '',
      NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', CLIENTS_FILE: 'test/fixtures/clients.json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<number | null>((ok) => child.once('close', (code) => ok(code)));
  return { child, output: () => output, exited };
}

/** One request on its own connection, so the cluster hands each to the next worker. */
function get(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', fail);
    req.end(init.body);
  });
}

async function waitForHealth(base: string, started: Started) {
  for (let i = 0; i < 300; i++) {
    if (started.child.exitCode !== null) throw new Error(`porta exited: ${started.output()}`);
    try {
      if ((await get(`${base}/healthz`)).status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`porta did not answer /healthz: ${started.output()}`);
}

/** Waits until the output has `text` `times` times. */
async function logged(started: Started, text: string, times = 1) {
  for (let i = 0; i < 300; i++) {
    if (started.output().split(text).length > times) return;
    if (started.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never logged ${text}: ${started.output()}`);
}
const allListening = (started: Started, times = 1) => logged(started, 'all workers are listening', times);

/** The cluster's workers: the primary's children running src/main.ts (tsx adds an esbuild child). */
function workerPids(primary: number): number[] {
  const children = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.filter((pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('src/main.ts'); } catch { return false; } });
}

/** Bytes a process has written (sockets included): grows when it answers a request. */
const written = (pid: number) => Number(/^wchar: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);

let dir: string;
let databaseUrl: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'porta-cluster-'));
  databaseUrl = await createTestDatabase(dir);
});
afterEach(async () => {
  await dropTestDatabase(databaseUrl);
  rmSync(dir, { recursive: true, force: true });
});

test('PORTA_WORKERS > 1 refuses METRICS_TOKEN: a scrape of the shared port would see one worker', async () => {
  const started = porta({ PORTA_WORKERS: '2', PORT: String(await freePort()), METRICS_TOKEN: 'metrics-token-0123456789abcdefghijklmnop', DATABASE_URL: databaseUrl });
  expect(await started.exited).toBe(2);
  expect(started.output()).toContain('METRICS_TOKEN: in cluster mode (PORTA_WORKERS > 1) use METRICS_PORT');
}, 60_000);

test('PORTA_WORKERS > 1 refuses PORT=0 with a clear error', async () => {
  const started = porta({ PORTA_WORKERS: '2', PORT: '0', DATABASE_URL: databaseUrl });
  expect(await started.exited).toBe(2);
  expect(started.output()).toContain('PORT: cluster mode (PORTA_WORKERS > 1) needs a fixed port');
}, 60_000);

test('two workers share the port, the signing keys and the clients; a dead worker is replaced; SIGTERM stops all, exit 0', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const metricsPort = await freePort();
  const started = porta({ PORTA_WORKERS: '2', PORT: String(port), METRICS_PORT: String(metricsPort), DATABASE_URL: databaseUrl, RESOURCE_SERVERS: JSON.stringify({ [API]: { scope: 'reports:read' } }) });
  try {
    await waitForHealth(base, started);
    await allListening(started);
    const pid = started.child.pid!;
    const workers = workerPids(pid);
    expect(workers).toHaveLength(2);

    // A client added to the database after start (as `porta clients add` does) is seen by every worker.
    const db = openDatabase(databaseUrl);
    await db('clients').insert({ client_id: CLIENT.client_id, created_at: 0, updated_at: 0, metadata: JSON.stringify({
      ...CLIENT, client_name: 'Nightly reports', redirect_uris: [], response_types: [], grant_types: ['client_credentials'],
    }) });
    await db.destroy();

    const before = workers.map(written);
    const discovery = JSON.parse((await get(`${base}/.well-known/openid-configuration`)).body) as { issuer: string };
    expect(discovery.issuer).toBe(`http://localhost:${port}`);
    const jwks = (await get(`${base}/jwks`)).body;
    const keys = createLocalJWKSet(JSON.parse(jwks) as Parameters<typeof createLocalJWKSet>[0]);
    const basic = `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`;
    for (let i = 0; i < 12; i++) {
      expect((await get(`${base}/jwks`)).body).toBe(jwks);
      expect(JSON.parse((await get(`${base}/.well-known/openid-configuration`)).body)).toEqual(discovery);
      const token = await get(`${base}/token`, {
        method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'reports:read' }).toString(),
      });
      expect(token.status).toBe(200);
      // Whichever worker signed it, the JWKS any worker publishes verifies it.
      const { payload, protectedHeader } = await jwtVerify((JSON.parse(token.body) as { access_token: string }).access_token, keys, { issuer: discovery.issuer, audience: API });
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({ client_id: CLIENT.client_id, scope: 'reports:read' });
    }
    // Both workers answered some of those requests (each logs a line and writes a response).
    workers.forEach((worker, i) => expect(written(worker)).toBeGreaterThan(before[i]!));
    // The primary's METRICS_PORT shows the sum over both workers, whichever answered each request.
    const metrics = (await get(`http://127.0.0.1:${metricsPort}/metrics`)).body;
    expect(metrics).toContain('porta_http_request_duration_seconds_count{route="token",method="POST",status="200"} 12\n');

    // A worker that dies is replaced; the cluster keeps serving.
    process.kill(workers[0]!, 'SIGKILL');
    // (A connection the primary hands over in the instant the worker dies is lost with it: ask after.)
    await logged(started, '"msg":"worker exited"');
    for (let i = 0; i < 4; i++) expect((await get(`${base}/jwks`)).body).toBe(jwks);
    await allListening(started, 2);
    const replaced = workerPids(pid);
    expect(replaced).toHaveLength(2);
    expect(replaced).not.toContain(workers[0]);
    for (let i = 0; i < 4; i++) expect((await get(`${base}/jwks`)).body).toBe(jwks);

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    for (const worker of replaced) expect(() => process.kill(worker, 0)).toThrow();
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- porta output:\n${started.output()}`, { cause: err });
  } finally {
    if (started.child.exitCode === null) started.child.kill('SIGKILL');
  }
}, 90_000);
