/**
 * Porta as a SAML service provider: its key pairs and certificates, and the metadata a federation operator
 * registers (GET /saml/metadata, `porta federation sp-metadata`), read back with an XML DOM as they would.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { DAY } from './helpers/clock.js';
import { productionSettings, startPorta, type TestPorta } from './helpers/porta.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

let porta: TestPorta | undefined;
afterEach(async () => { await porta?.stop(); porta = undefined; });

function parse(xml: string): Element {
  const doc = new DOMParser({ onError: (level, message) => { if (level !== 'warning') throw new Error(message); } }).parseFromString(xml, 'application/xml');
  return doc.documentElement!;
}
const all = (el: Element, ns: string, name: string) => Array.from(el.getElementsByTagNameNS(ns, name));
const text = (el: Element) => (el.textContent ?? '').trim();
const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

async function fetchMetadata(p: TestPorta): Promise<{ root: Element; xml: string; response: Response }> {
  const response = await fetch(`${p.url}/saml/metadata`);
  const xml = await response.text();
  return { root: parse(xml), xml, response };
}

/** use → the published certificates, in document order. */
function certificates(root: Element): Record<string, X509Certificate[]> {
  const out: Record<string, X509Certificate[]> = {};
  for (const kd of all(root, MD, 'KeyDescriptor')) {
    const use = kd.getAttribute('use') ?? '';
    (out[use] ??= []).push(...all(kd, DS, 'X509Certificate').map((c) => new X509Certificate(pem(text(c)))));
  }
  return out;
}

describe('SAML SP metadata', () => {
  test('a first start generates a signing and an encryption key; the metadata publishes their self-signed certificates, sealed keys survive a restart', async () => {
    porta = await startPorta(await productionSettings());
    const { root, response } = await fetchMetadata(porta);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    expect(root.localName).toBe('EntityDescriptor');
    expect(root.namespaceURI).toBe(MD);
    expect(root.getAttribute('entityID')).toBe(`${porta.issuer}/saml/metadata`);

    const certs = certificates(root);
    expect(certs.signing).toHaveLength(1);
    expect(certs.encryption).toHaveLength(1);
    const [signing, encryption] = [certs.signing![0]!, certs.encryption![0]!];
    expect(signing.fingerprint256).not.toBe(encryption.fingerprint256);
    for (const cert of [signing, encryption]) {
      expect(cert.subject).toBe('CN=127.0.0.1');
      expect(cert.verify(cert.publicKey)).toBe(true); // self-signed
      expect(cert.publicKey.asymmetricKeyType).toBe('rsa');
      expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
      expect(new Date(cert.validTo).getTime()).toBeGreaterThan(porta.clock.now() + 3000 * DAY);
    }
    // The private keys match the published certificates, and are stored sealed (KEYS_ENCRYPTION_SECRET).
    const [signingKey] = await porta.services.spKeys.privateKeys('signing');
    expect(signing.checkPrivateKey(createPrivateKey(signingKey!.privateKey))).toBe(true);
    const [encryptionKey] = await porta.services.spKeys.privateKeys('encryption');
    expect(encryption.checkPrivateKey(createPrivateKey(encryptionKey!.privateKey))).toBe(true);
    const stored = (await porta.services.db('saml_sp_keys').pluck('private_key')) as string[];
    expect(stored).toHaveLength(2);
    for (const value of stored) expect(value).toMatch(/^enc:v1:/);

    porta = await porta.restart();
    const again = certificates((await fetchMetadata(porta)).root);
    expect(again.signing!.map((c) => c.fingerprint256)).toEqual([signing.fingerprint256]);
    expect(again.encryption!.map((c) => c.fingerprint256)).toEqual([encryption.fingerprint256]);
  });

  test('what a federation operator checks: ACS over HTTP-POST, signed requests, mdui in English and Italian, R&S attributes, entity categories, contacts', async () => {
    porta = await startPorta({
      samlSpEntityId: 'https://login.uni.example/sp',
      samlSpDisplayNameEn: 'University <Login>', samlSpDisplayNameIt: 'Accesso all\'Università',
      samlSpDescriptionEn: 'Sign in to the university', samlSpDescriptionIt: 'Accedi all\'università',
      samlSpLogoUrl: 'https://uni.example/logo.png', samlSpLogoWidth: 120, samlSpLogoHeight: 40,
      privacyNoticeUrl: 'https://uni.example/privacy',
      samlSpEntityCategories: 'http://refeds.org/category/research-and-scholarship,https://refeds.org/category/code-of-conduct/v2',
      samlSpTechnicalContact: 'it@uni.example', samlSpSupportContact: 'help@uni.example', samlSpSecurityContact: 'cert@uni.example',
    });
    const { root } = await fetchMetadata(porta);
    expect(root.getAttribute('entityID')).toBe('https://login.uni.example/sp');

    const [sp] = all(root, MD, 'SPSSODescriptor');
    expect(sp!.getAttribute('protocolSupportEnumeration')).toBe('urn:oasis:names:tc:SAML:2.0:protocol');
    expect(sp!.getAttribute('AuthnRequestsSigned')).toBe('true');
    expect(sp!.getAttribute('WantAssertionsSigned')).toBe('true');
    const acs = all(sp!, MD, 'AssertionConsumerService');
    expect(acs.map((a) => [a.getAttribute('Binding'), a.getAttribute('Location'), a.getAttribute('index')]))
      .toEqual([['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', `${porta.issuer}/saml/acs`, '0']]);

    const byLang = (name: string) => Object.fromEntries(all(sp!, MDUI, name).map((e) => [e.getAttribute('xml:lang'), text(e)]));
    expect(byLang('DisplayName')).toEqual({ en: 'University <Login>', it: 'Accesso all\'Università' });
    expect(byLang('Description')).toEqual({ en: 'Sign in to the university', it: 'Accedi all\'università' });
    expect(byLang('PrivacyStatementURL')).toEqual({ en: 'https://uni.example/privacy', it: 'https://uni.example/privacy' });
    const [logo] = all(sp!, MDUI, 'Logo');
    expect([text(logo!), logo!.getAttribute('width'), logo!.getAttribute('height')]).toEqual(['https://uni.example/logo.png', '120', '40']);

    const requested = all(sp!, MD, 'RequestedAttribute').map((a) => [a.getAttribute('FriendlyName'), a.getAttribute('Name'), a.getAttribute('NameFormat')]);
    for (const [friendly, name] of [
      ['eduPersonPrincipalName', 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6'], ['mail', 'urn:oid:0.9.2342.19200300.100.1.3'],
      ['displayName', 'urn:oid:2.16.840.1.113730.3.1.241'], ['givenName', 'urn:oid:2.5.4.42'], ['sn', 'urn:oid:2.5.4.4'],
      ['eduPersonScopedAffiliation', 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9'], ['subject-id', 'urn:oasis:names:tc:SAML:attribute:subject-id'],
    ]) expect(requested).toContainEqual([friendly, name, 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri']);

    const categories = all(root, SAML, 'Attribute').find((a) => a.getAttribute('Name') === 'http://macedir.org/entity-category');
    expect(all(categories!, SAML, 'AttributeValue').map(text))
      .toEqual(['http://refeds.org/category/research-and-scholarship', 'https://refeds.org/category/code-of-conduct/v2']);
    // Entity attributes sit in the EntityDescriptor's own Extensions, its first child.
    expect(categories!.parentNode!.parentNode!.parentNode).toBe(root);

    const contacts = all(root, MD, 'ContactPerson').map((c) => [c.getAttribute('contactType'), text(all(c, MD, 'EmailAddress')[0]!)]);
    expect(contacts).toEqual([['technical', 'mailto:it@uni.example'], ['support', 'mailto:help@uni.example'], ['other', 'mailto:cert@uni.example']]);
    expect(all(root, MD, 'ContactPerson')[2]!.getAttributeNS('http://refeds.org/metadata', 'contactType')).toBe('http://refeds.org/metadata/contactType/security');
  });

  test('without entity categories or contacts configured the metadata claims none', async () => {
    porta = await startPorta();
    const { root } = await fetchMetadata(porta);
    expect(all(root, SAML, 'Attribute')).toHaveLength(0);
    expect(all(root, MD, 'ContactPerson')).toHaveLength(0);
    expect(all(root, MDUI, 'Logo')).toHaveLength(0);
    expect(Object.fromEntries(all(root, MDUI, 'DisplayName').map((e) => [e.getAttribute('xml:lang'), text(e)]))).toEqual({ en: 'Porta', it: 'Porta' });
  });
});

describe('porta federation', () => {
  test('sp-metadata prints the served document; rotate-sp-keys adds new certificates and keeps the old ones published for the overlap', async () => {
    porta = await startPorta({ samlSpKeyOverlapDays: 30 });
    const printed = await porta.cli('federation', 'sp-metadata');
    expect(printed.code).toBe(0);
    // The CLI's issuer is ISSUER (unset in tests: the development default), so compare the keys.
    const before = certificates(parse(printed.stdout));
    const served = certificates((await fetchMetadata(porta)).root);
    expect(before.signing!.map((c) => c.fingerprint256)).toEqual(served.signing!.map((c) => c.fingerprint256));
    expect(before.encryption!.map((c) => c.fingerprint256)).toEqual(served.encryption!.map((c) => c.fingerprint256));

    const rotated = await porta.cli('federation', 'rotate-sp-keys');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout.match(/^new key \S+$/gm)).toHaveLength(2);
    expect(rotated.stdout.match(/^retired \S+$/gm)).toHaveLength(2);
    expect(rotated.stdout).toContain('The retired certificates stay in the SAML metadata for 30 days (SAML_SP_KEY_OVERLAP_DAYS). Send the new metadata (porta federation sp-metadata) to your federation now.');

    const during = certificates((await fetchMetadata(porta)).root);
    expect(during.signing).toHaveLength(2);
    expect(during.encryption).toHaveLength(2);
    // The new certificate comes first; the old one is still there.
    expect(during.signing![0]!.fingerprint256).not.toBe(before.signing![0]!.fingerprint256);
    expect(during.signing![1]!.fingerprint256).toBe(before.signing![0]!.fingerprint256);
    expect(during.encryption![1]!.fingerprint256).toBe(before.encryption![0]!.fingerprint256);
    // New requests are signed with the new key; the old encryption key still decrypts during the overlap.
    const [signWith] = await porta.services.spKeys.privateKeys('signing');
    expect(during.signing![0]!.checkPrivateKey(createPrivateKey(signWith!.privateKey))).toBe(true);
    expect(await porta.services.spKeys.privateKeys('encryption')).toHaveLength(2);

    porta.clock.advance(31 * DAY);
    const after = certificates((await fetchMetadata(porta)).root);
    expect(after.signing!.map((c) => c.fingerprint256)).toEqual([during.signing![0]!.fingerprint256]);
    expect(after.encryption!.map((c) => c.fingerprint256)).toEqual([during.encryption![0]!.fingerprint256]);
    expect(await porta.services.spKeys.privateKeys('encryption')).toHaveLength(1);

    const json = await porta.cli('federation', 'rotate-sp-keys', '--json');
    const result = JSON.parse(json.stdout) as { created: string[]; retired: string[] };
    expect(result.created).toHaveLength(2);
    expect(result.retired).toHaveLength(2);
  });
});
