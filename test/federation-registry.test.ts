/**
 * The federation file (FEDERATION_FILE): checked at start like the rest of the configuration, every bad
 * entry listed at once; `porta federation list|show` read it as the server does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/load.js';
import { clientProblems } from '../src/clients.js';
import { loadFederationFile } from '../src/federation/registry.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { TestSamlIdp } from './helpers/saml-idp.js';

const dir = mkdtempSync(join(tmpdir(), 'porta-federation-file-'));
const uni = new TestSamlIdp('uni');
const other = new TestSamlIdp('other');
writeFileSync(join(dir, 'uni.xml'), uni.metadataXml());
writeFileSync(join(dir, 'other.xml'), other.metadataXml({ en: 'Other University' }, ['other.example']));

function federationFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const problemsOf = (path: string): string[] => {
  try {
    loadFederationFile(path, path);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('the federation file', () => {
  test('every bad entry is listed at once, with where it is', () => {
    writeFileSync(join(dir, 'sp-only.xml'), '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>');
    writeFileSync(join(dir, 'broken.xml'), '<md:EntityDescriptor');
    const path = federationFile('bad.json', {
      saml: [
        { metadata: 'uni.xml' },
        { metadata: 'missing.xml' },
        { metadata: 'uni.xml', trustEmailVerified: 'yes' },
        { metadata: 'sp-only.xml' },
        { metadata: 'broken.xml' },
        { metadata: 'uni.xml', colour: 'blue' },
        { metadata: 'uni.xml' },
      ],
    });
    const problems = problemsOf(path);
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(new RegExp(`^FEDERATION_FILE: ${path} saml #2: .*missing\\.xml: cannot read: ENOENT`));
    expect(problems[1]).toBe(`FEDERATION_FILE: ${path} saml #3: trustEmailVerified: Invalid input: expected boolean, received string`);
    expect(problems[2]).toBe(`FEDERATION_FILE: ${path} saml #4: ${join(dir, 'sp-only.xml')}: no SAML2 IdP with an HTTP-Redirect SingleSignOnService and a signing certificate`);
    expect(problems[3]).toMatch(new RegExp(`^FEDERATION_FILE: ${path} saml #5: .*broken\\.xml: metadata is not well-formed XML`));
    expect(problems[4]).toBe(`FEDERATION_FILE: ${path} saml #6: Unrecognized key: "colour"`);
    expect(problems[5]).toBe(`FEDERATION_FILE: ${path} saml #7: ${uni.entityId} is already listed by saml #1`);
  });

  test('every bad OIDC upstream is listed, with where it is, and no secret in the messages', () => {
    writeFileSync(join(dir, 'key.json'), JSON.stringify({ kty: 'oct', k: 'c2VjcmV0LWtleS1ieXRlcw' }));
    const secret = 'do-not-print-this-secret';
    const good = { issuer: 'https://login.upstream.example', clientId: 'porta', clientSecret: secret };
    const path = federationFile('bad-oidc.json', {
      oidc: [
        good,
        { ...good, issuer: 'http://login.upstream.example' },
        { issuer: 'https://b.example', clientId: 'porta' },
        { issuer: 'https://c.example', clientId: 'porta', clientSecret: secret, privateKeyJwk: 'key.json' },
        { issuer: 'https://d.example', clientId: 'porta', privateKeyJwk: 'key.json' },
        { ...good, issuer: 'https://e.example', scopes: 'email profile', claims: { groups: 'is_admin' } },
        good,
      ],
    });
    const problems = problemsOf(path);
    expect(problems).toEqual([
      `FEDERATION_FILE: ${path} oidc #2: issuer: must be https (http only on localhost)`,
      `FEDERATION_FILE: ${path} oidc #3: give either clientSecret or privateKeyJwk (a file path or a JWK)`,
      `FEDERATION_FILE: ${path} oidc #4: give either clientSecret or privateKeyJwk (a file path or a JWK)`,
      expect.stringMatching(new RegExp(`^FEDERATION_FILE: ${path} oidc #5: privateKeyJwk: not a usable private JWK`)),
      `FEDERATION_FILE: ${path} oidc #6: scopes: must include openid`,
      expect.stringMatching(new RegExp(`^FEDERATION_FILE: ${path} oidc #6: claims.groups: must be one of name, given_name, `)),
      `FEDERATION_FILE: ${path} oidc #7: https://login.upstream.example is already listed`,
    ]);
    expect(problems.join('\n')).not.toContain(secret);
    expect(problems.join('\n')).not.toContain('c2VjcmV0');
  });

  test('a file that is not an object with a saml list is refused; the default path may be absent, another may not', () => {
    expect(problemsOf(federationFile('array.json', []))[0]).toMatch(/must hold a JSON object \{"saml": \[\.\.\.\], "oidc": \[\.\.\.\]\}/);
    expect(problemsOf(federationFile('not-json.json', '{'))[0]).toMatch(/cannot read/);
    expect(problemsOf(join(dir, 'absent.json'))[0]).toMatch(/cannot read: ENOENT/);
    expect(loadFederationFile(join(dir, 'absent.json'), 'config/federation.json').size).toBe(0);
  });

  test('Porta refuses to start with a bad federation file', async () => {
    await expect(startPorta({ federationFile: federationFile('bad-start.json', { saml: [{ metadata: 'missing.xml' }] }) })).rejects.toBeInstanceOf(ConfigError);
  });

  test('an aggregate with several IdPs is indexed by entityID; the file\'s display names win over mdui', () => {
    const aggregate = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${[uni.metadataXml(), other.metadataXml({ en: 'Other University' })].map((xml) => xml.replace(/^<\?xml[^>]*>/, '')).join('')}</md:EntitiesDescriptor>`;
    writeFileSync(join(dir, 'aggregate.xml'), aggregate);
    const registry = loadFederationFile(federationFile('aggregate.json', { saml: [{ metadata: 'aggregate.xml', displayNames: { it: 'Ateneo' } }] }), 'x');
    expect(registry.size).toBe(2);
    expect(registry.find(other.entityId)?.displayNames).toEqual({ en: 'Other University', it: 'Ateneo' });
    expect(registry.find('https://idp.nowhere.example/idp')).toBeUndefined();
  });
});

describe('a client\'s allowed_idps', () => {
  test('must be a non-empty list of distinct entityIDs', () => {
    const problem = 'allowed_idps must be a non-empty list of distinct institution entityIDs (leave it out to allow every institution)';
    for (const bad of [[], 'https://idp.uni.example/idp', [uni.entityId, uni.entityId], [42]]) expect(clientProblems({ allowed_idps: bad })).toEqual([problem]);
    expect(clientProblems({ allowed_idps: [uni.entityId, other.entityId] })).toEqual([]);
  });

  test('porta clients add refuses a bad --allowed-idps', async () => {
    const porta = await startPorta();
    try {
      const refused = await porta.cli('clients', 'add', '--id', 'x-tool', '--redirect-uri', 'https://x.example/cb', '--allowed-idps', ',');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--allowed-idps must be "all" or a comma-separated list of distinct institution entityIDs');
    } finally {
      await porta.stop();
    }
  });
});

describe('porta federation list|show', () => {
  let porta: TestPorta | undefined;
  afterEach(async () => { await porta?.stop(); porta = undefined; });

  test('list names every institution, sorted; show tells what Porta uses of one; both as JSON too', async () => {
    porta = await startPorta({ federationFile: federationFile('cli.json', { saml: [{ metadata: 'uni.xml', trustEmailVerified: true }, { metadata: 'other.xml', displayNames: { en: 'Another University' } }] }) });
    const list = await porta.cli('federation', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(`${other.entityId}  Another University\n${uni.entityId}  University of Example\n`);
    const json = JSON.parse((await porta.cli('federation', 'list', '--json')).stdout) as { entityId: string }[];
    expect(json.map((i) => i.entityId)).toEqual([other.entityId, uni.entityId]);

    const show = await porta.cli('federation', 'show', '--entity-id', uni.entityId);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`entityID              ${uni.entityId}\n`);
    expect(show.stdout).toContain('name (it)             Università di Esempio\n');
    expect(show.stdout).toContain(`single sign-on        ${uni.ssoUrl}\n`);
    expect(show.stdout).toContain('scopes                uni.example\n');
    expect(show.stdout).toContain('mail verified         yes\n');
    expect(JSON.parse((await porta.cli('federation', 'show', '--entity-id', uni.entityId, '--json')).stdout)).toMatchObject({
      entityId: uni.entityId, kind: 'saml', scopes: ['uni.example'], signingCertificates: 1, trustEmailVerified: true,
    });

    const unknown = await porta.cli('federation', 'show', '--entity-id', 'https://idp.nowhere.example/idp');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no institution with entityID "https://idp.nowhere.example/idp" in the federation file');
    expect((await porta.cli('federation', 'show')).code).toBe(2);
  });
});
