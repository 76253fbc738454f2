/**
 * Porta's SAML SP core against a real, independent IdP implementation (samlify, test/helpers/saml-idp.ts):
 * the IdP reads Porta's published metadata and checks the signed AuthnRequest; Porta checks the IdP's
 * signed response. Replayed, unsolicited, expired and wrongly signed responses are refused.
 */
import { generateSpKeyPair } from '../src/federation/saml/sp-keys.js';
import { acsUrl, spEntityId, spMetadata } from '../src/federation/saml/sp-metadata.js';
import { SamlResponseError, SamlSp } from '../src/federation/saml/sp.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { TestSamlIdp, type TestUser } from './helpers/saml-idp.js';

const REQUEST_TTL_MS = 10 * 60_000;
const user: TestUser = {
  nameId: 'opaque-persistent-id-42',
  attributes: {
    'urn:oid:1.3.6.1.4.1.5923.1.1.1.6': ['mrossi@uni.example'],
    'urn:oid:0.9.2342.19200300.100.1.3': ['m.rossi@uni.example'],
    'urn:oid:2.5.4.42': ['Maria'],
    'urn:oid:1.3.6.1.4.1.5923.1.1.1.9': ['student@uni.example', 'member@uni.example'],
  },
  authnContext: 'https://refeds.org/profile/mfa',
};

let porta: TestPorta | undefined;
afterEach(async () => { await porta?.stop(); porta = undefined; });

async function setUp() {
  porta = await startPorta();
  const s = porta.services;
  const sp = new SamlSp(s.db, porta.clock, s.spKeys, spEntityId(s.config, porta.issuer), acsUrl(porta.issuer), REQUEST_TTL_MS);
  const metadata = spMetadata(s.config, porta.issuer, await s.spKeys.published());
  return { sp, metadata };
}

async function signIn(sp: SamlSp, metadata: string, idp: TestSamlIdp) {
  const { url, requestId } = await sp.authnRequest(idp.record(), 'relay-1');
  const received = await idp.receive(metadata, url);
  return { url, requestId, received };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => { throw new Error('accepted'); }, (err: unknown) => {
  if (!(err instanceof SamlResponseError)) throw err;
  return err.code;
});

describe('SAML SP against a samlify IdP', () => {
  test('a signed AuthnRequest over HTTP-Redirect (RSA-SHA256) that the IdP verifies; its signed response gives the attributes and the authentication context, once', async () => {
    const { sp, metadata } = await setUp();
    const idp = new TestSamlIdp();
    const { url, requestId, received } = await signIn(sp, metadata, idp);
    const params = new URL(url).searchParams;
    expect(url.startsWith(`${idp.ssoUrl}?`)).toBe(true);
    expect(params.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(params.get('RelayState')).toBe('relay-1');
    expect(received.requestId).toBe(requestId);
    // The IdP does check the signature: a request altered on the way is refused.
    const altered = new URL(url);
    altered.searchParams.set('RelayState', 'relay-2');
    await expect(idp.receive(metadata, altered.toString())).rejects.toBeDefined();

    const response = await idp.respond(received.sp, requestId, user);
    const assertion = await sp.acceptResponse(idp.record(), requestId, response);
    expect(assertion).toEqual({
      idpEntityId: idp.entityId,
      nameId: { value: 'opaque-persistent-id-42', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
      attributes: user.attributes,
      authnContext: 'https://refeds.org/profile/mfa',
      authnInstant: expect.any(Number),
    });

    // The same response again (a replay) is refused.
    expect(await refusal(sp.acceptResponse(idp.record(), requestId, response))).toBe('replayed');
  });

  test('an unsolicited response, or one answering another browser\'s request, is refused', async () => {
    const { sp, metadata } = await setUp();
    const idp = new TestSamlIdp();
    const mine = await signIn(sp, metadata, idp);
    const unsolicited = await idp.respond(mine.received.sp, '', user);
    expect(await refusal(sp.acceptResponse(idp.record(), mine.requestId, unsolicited))).toBe('unsolicited');
    expect(await refusal(sp.acceptResponse(idp.record(), undefined, unsolicited))).toBe('unsolicited');

    const other = await signIn(sp, metadata, idp);
    const forOther = await idp.respond(other.received.sp, other.requestId, user);
    expect(await refusal(sp.acceptResponse(idp.record(), mine.requestId, forOther))).toBe('unsolicited');
    // Still usable by the browser that asked.
    expect((await sp.acceptResponse(idp.record(), other.requestId, forOther)).nameId?.value).toBe('opaque-persistent-id-42');
  });

  test('a response signed with a key other than the IdP metadata\'s certificate is refused', async () => {
    const { sp, metadata } = await setUp();
    const idp = new TestSamlIdp('uni', generateSpKeyPair('idp.uni.example', Date.now(), 365));
    const impostor = new TestSamlIdp('uni');
    const { requestId, received } = await signIn(sp, metadata, idp);
    const forged = await impostor.respond(received.sp, requestId, user);
    expect(await refusal(sp.acceptResponse(idp.record(), requestId, forged))).toBe('invalid');
    // The genuine one still works: a forgery does not spend the request.
    expect((await sp.acceptResponse(idp.record(), requestId, await idp.respond(received.sp, requestId, user))).idpEntityId).toBe(idp.entityId);
  });

  test('an encrypted assertion is decrypted, also one encrypted to the certificate of before a key rotation (the overlap)', async () => {
    const { sp, metadata } = await setUp();
    const idp = new TestSamlIdp('uni', undefined, true);
    const first = await signIn(sp, metadata, idp);
    const encrypted = await idp.respond(first.received.sp, first.requestId, user);
    expect(Buffer.from(encrypted, 'base64').toString()).toContain('EncryptedAssertion');
    expect((await sp.acceptResponse(idp.record(), first.requestId, encrypted)).attributes).toEqual(user.attributes);

    // The IdP still has the metadata of before the rotation, so it encrypts to the old certificate.
    expect((await porta!.cli('federation', 'rotate-sp-keys')).code).toBe(0);
    const second = await sp.authnRequest(idp.record(), 'relay-2');
    const toOldKey = await idp.respond(idp.serviceProvider(metadata), second.requestId, user);
    expect((await sp.acceptResponse(idp.record(), second.requestId, toOldKey)).attributes).toEqual(user.attributes);
  });

  test('a response to a request older than its lifetime is refused', async () => {
    const { sp, metadata } = await setUp();
    const idp = new TestSamlIdp();
    const { requestId, received } = await signIn(sp, metadata, idp);
    const response = await idp.respond(received.sp, requestId, user);
    porta!.clock.advance(REQUEST_TTL_MS + 1);
    expect(await refusal(sp.acceptResponse(idp.record(), requestId, response))).toBe('unsolicited');

    // The expiry sweep removes it.
    expect(await porta!.services.db('saml_requests').pluck('id')).toEqual([requestId]);
    await porta!.sweep();
    expect(await porta!.services.db('saml_requests').pluck('id')).toEqual([]);
  });
});
