/**
 * The relying services shipped in config/clients.json (the development set an operator starts from) ask
 * for what the issue says: admissions, grants and payments a second factor; the registrar's help desk,
 * the digital library and the partner tool only the password.
 */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../src/paths.js';
import { newTotpSecret } from '../src/mfa/totp.js';
import { Browser } from './helpers/browser.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { relyingParty, signInThrough } from './helpers/rp.js';

const SHIPPED = fromRoot('config/clients.json');
const clients = JSON.parse(readFileSync(SHIPPED, 'utf8')) as { client_id: string; client_secret?: string; redirect_uris: string[] }[];

let porta: TestPorta;
beforeAll(async () => {
  porta = await startPorta({ clientsFile: SHIPPED });
});
afterAll(() => porta.stop());

test.each([
  ['admissions', 'second factor'], ['grants', 'second factor'], ['payments', 'second factor'],
  ['informastudenti', 'back to the service'], ['digital-library', 'back to the service'], ['partner-tool', 'access code'],
])('%s: after the password, %s', async (clientId, next) => {
  const client = clients.find((c) => c.client_id === clientId)!;
  const account = await porta.createAccount({ email: `shipped.${clientId}.${Date.now()}@example.org` });
  await porta.services.secondFactors.addTotp(account.id, 'My phone', newTotpSecret(), 0);
  const rp = await relyingParty(porta.issuer, clientId, client.client_secret, client.redirect_uris[0]!);
  const { done } = await signInThrough(rp, new Browser(porta.issuer), account.username!);
  if (next === 'second factor') {
    expect(done.url).toMatch(/\/second_factor$/);
    expect(done.body).toContain('<h1>Two-factor authentication</h1>');
  } else if (next === 'access code') {
    // The partner tool's one-time access code at a first sign-in, and no second factor.
    expect(done.url).toMatch(/\/access_code$/);
  } else {
    expect(done.location).toMatch(new RegExp(`^${client.redirect_uris[0]}\\?code=`));
  }
});
