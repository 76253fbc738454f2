/**
 * What a new operator runs into at start: weak client secrets added from a development shell, the
 * development demo on any port, and bodies that cannot be read.
 */
import { run, type CliIO } from '../src/cli/run.js';
import { Browser } from './helpers/browser.js';
import { productionSettings, startPorta, type TestPorta } from './helpers/porta.js';

let porta: TestPorta | undefined;
afterEach(async () => {
  await porta?.stop();
  porta = undefined;
});

async function cli(argv: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } }, env: { LOG_LEVEL: 'silent', CLIENTS_FILE: '', ...env } };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

test('clients add without --secret generates a strong one, printed once, that the token endpoint accepts', async () => {
  porta = await startPorta();
  const added = await cli(['clients', 'add', '--id', 'library', '--redirect-uri', 'https://library.example.edu/cb', '--json'], { DATABASE_URL: porta.databaseUrl, NODE_ENV: 'test' });
  expect(added.code).toBe(0);
  const { client_secret: secret } = JSON.parse(added.stdout) as { client_secret: string };
  expect(secret).toMatch(/^[\w-]{43}$/);
  const token = await fetch(`${porta.url}/token`, {
    method: 'POST', headers: { authorization: basicAuth('library', secret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2Flibrary.example.edu%2Fcb',
  });
  // Authenticated (the code is what is wrong), not invalid_client.
  expect(await token.json()).toMatchObject({ error: 'invalid_grant' });
});

test('production refuses to start while a database client has a weak secret, and names it', async () => {
  porta = await startPorta();
  expect((await cli(['clients', 'add', '--id', 'weak', '--secret', 'abc', '--redirect-uri', 'https://weak.example.edu/cb'], { DATABASE_URL: porta.databaseUrl, NODE_ENV: 'test' })).code).toBe(0);
  await expect(startPorta(await productionSettings(), { dir: porta.dir, clock: porta.clock, databaseUrl: porta.databaseUrl }))
    .rejects.toThrow(/client "weak" \(database\): production refuses a secret shorter than 32 characters; give it a new one with porta clients rotate-secret --id weak/);
});

test('a production server never authenticates a database client with a weak secret added while it runs', async () => {
  porta = await startPorta({ ...(await productionSettings()), clientsFile: '' });
  expect((await cli(['clients', 'add', '--id', 'weak', '--secret', 'abc', '--redirect-uri', 'https://weak.example.edu/cb'], { DATABASE_URL: porta.databaseUrl, NODE_ENV: 'test' })).code).toBe(0);
  const token = await fetch(`${porta.url}/token`, {
    method: 'POST', headers: { authorization: basicAuth('weak', 'abc'), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials',
  });
  expect(token.status).toBe(401);
  expect(await token.json()).toMatchObject({ error: 'invalid_client' });
});

test('the development demo client follows the port: /dev/ leads to the sign-in page on any port', async () => {
  porta = await startPorta({ nodeEnv: 'development', clientsFile: '' });
  expect(porta.issuer).not.toBe('http://localhost:3000');
  const browser = new Browser(porta.url);
  const tried = await browser.request('/dev/try');
  expect(tried.location).toMatch(new RegExp(`^${porta.issuer}/auth\\?`));
  const login = await browser.go(tried.location!.replace(porta.issuer, porta.url));
  expect(login.status).toBe(200);
  expect(login.body).toContain('<label for="login">');
});

test('a body that is not the gzip it claims to be gets 400, on a form and on the token endpoint', async () => {
  porta = await startPorta();
  const garbage = { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' };
  for (const path of ['/register', '/recover/password']) {
    const page = await fetch(`${porta.url}${path}`, { method: 'POST', headers: garbage, body: 'certainly not gzip' });
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('Request ID: ');
  }
  const token = await fetch(`${porta.url}/token`, { method: 'POST', headers: garbage, body: 'certainly not gzip' });
  expect(token.status).toBe(400);
  expect(await token.json()).toMatchObject({ error: 'invalid_request' });
});

test('readiness refuses while migrations are pending, and /healthz stays alive', async () => {
  porta = await startPorta();
  expect(await (await fetch(`${porta.url}/readyz`)).json()).toEqual({ status: 'ready' });
  // As when an older instance runs against a database another one has not finished migrating: the last
  // migration is not recorded as applied.
  const [last] = await porta.services.db('knex_migrations').orderBy('id', 'desc').limit(1);
  await porta.services.db('knex_migrations').where({ id: last.id }).delete();
  const pending = await fetch(`${porta.url}/readyz`);
  expect(pending.status).toBe(503);
  expect(await pending.json()).toEqual({ status: 'migrations pending' });
  expect((await fetch(`${porta.url}/healthz`)).status).toBe(200);
  await porta.services.db('knex_migrations').insert(last);
  expect((await fetch(`${porta.url}/readyz`)).status).toBe(200);
});
