/**
 * A real SAML IdP for tests, on samlify (an implementation independent of Porta's node-saml SP): it reads
 * Porta's SP metadata, parses and verifies the signed AuthnRequest from the HTTP-Redirect URL, and issues
 * a signed Response for the HTTP-POST binding. Its own key pair and certificate are made per IdP.
 */
import { inflateRawSync } from 'node:zlib';
import * as samlify from 'samlify';
import { generateSpKeyPair, certificateBody } from '../../src/federation/saml/sp-keys.js';
import type { SamlIdp } from '../../src/federation/saml/idp-metadata.js';

// samlify insists on a schema validator; the IdP is the test's own, fed only Porta's requests.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

export interface TestUser {
  nameId: string;
  /** Default persistent. */
  nameIdFormat?: string;
  attributes: Record<string, string[]>;
  authnContext?: string;
}

/**
 * `issuedAt`: when the IdP says it issued the response (default now): an old one makes an expired assertion.
 * `destination` (null: none), `recipient`: the Response's Destination and the bearer Recipient, default the SP's ACS.
 * `responseIssuer`: the Response's own Issuer, default this IdP (the assertion's is always this IdP).
 * `authnInstant`: when the person signed in at the IdP (default `issuedAt`): an older one is an SSO session reused.
 */
export interface ResponseOptions { issuedAt?: Date; destination?: string | null; recipient?: string; responseIssuer?: string; authnInstant?: Date }

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class TestSamlIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly key: { certificate: string; privateKey: string };
  private readonly idp: samlify.IdentityProviderInstance;

  /** `encrypt`: the assertion is encrypted to the SP metadata's encryption certificate. */
  constructor(name = 'uni', key?: { certificate: string; privateKey: string }, encrypt = false) {
    this.entityId = `https://idp.${name}.example/idp`;
    this.ssoUrl = `https://idp.${name}.example/sso`;
    this.key = key ?? generateSpKeyPair(`idp.${name}.example`, Date.now(), 365);
    this.idp = samlify.IdentityProvider({
      entityID: this.entityId,
      privateKey: this.key.privateKey,
      signingCert: this.key.certificate,
      requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: this.ssoUrl }],
      nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
      wantAuthnRequestsSigned: true,
      isAssertionEncrypted: encrypt,
    });
  }

  /** What Porta's registry knows of this IdP (as parsed from its metadata). */
  record(certificate = this.key.certificate): SamlIdp {
    return { entityId: this.entityId, ssoRedirectUrl: this.ssoUrl, signingCertificates: [certificateBody(certificate)], displayNames: { en: 'University of Example' }, scopes: ['uni.example'] };
  }

  /** The SP as this IdP knows it from a copy of its metadata (possibly an old one). */
  serviceProvider(spMetadata: string): samlify.ServiceProviderInstance {
    return samlify.ServiceProvider({ metadata: spMetadata });
  }

  /** This IdP's SAML metadata, as its federation would publish it (mdui names, shibmd:Scope, signing key). */
  metadataXml(names: Record<string, string> = { en: 'University of Example', it: 'Università di Esempio' }, scopes = ['uni.example']): string {
    return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" entityID="${xmlText(this.entityId)}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:Extensions>
      ${scopes.map((sc) => `<shibmd:Scope regexp="false">${xmlText(sc)}</shibmd:Scope>`).join('')}
      <mdui:UIInfo>${Object.entries(names).map(([lang, n]) => `<mdui:DisplayName xml:lang="${lang}">${xmlText(n)}</mdui:DisplayName>`).join('')}</mdui:UIInfo>
    </md:Extensions>
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(this.key.certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${xmlText(this.ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
  }

  /** The AuthnRequest's XML (inflated from the redirect URL), to see what it asks for. */
  static requestXml(redirectUrl: string): string {
    return inflateRawSync(Buffer.from(new URL(redirectUrl).searchParams.get('SAMLRequest')!, 'base64')).toString();
  }

  /** An error answer (no assertion), as an IdP sends when the person cancels or cannot sign in: status Responder/`status`. */
  failure(sp: samlify.ServiceProviderInstance, inResponseTo: string, status = 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed'): string {
    const acs = sp.entityMeta.getAssertionConsumerService('post') as string;
    const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_f${Math.random().toString(16).slice(2)}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${xmlText(acs)}" InResponseTo="${xmlText(inResponseTo)}">`
      + `<saml:Issuer>${xmlText(this.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="${xmlText(status)}"/></samlp:StatusCode></samlp:Status></samlp:Response>`;
    return Buffer.from(xml).toString('base64');
  }

  /** Reads the AuthnRequest from the redirect URL; samlify checks its signature against the SP metadata. */
  async receive(spMetadata: string, redirectUrl: string): Promise<{ requestId: string; sp: samlify.ServiceProviderInstance }> {
    const sp = samlify.ServiceProvider({ metadata: spMetadata });
    const url = new URL(redirectUrl);
    const query = Object.fromEntries(url.searchParams);
    const octetString = url.search.slice(1).split('&').filter((p) => !p.startsWith('Signature=')).join('&');
    const parsed = await this.idp.parseLoginRequest(sp, 'redirect', { query, octetString });
    return { requestId: String(parsed.extract.request?.id), sp };
  }

  /** A signed SAMLResponse (base64) for the HTTP-POST binding; inResponseTo '' makes it unsolicited. */
  async respond(sp: samlify.ServiceProviderInstance, inResponseTo: string, user: TestUser, options: ResponseOptions = {}): Promise<string> {
    const now = options.issuedAt ?? new Date();
    const later = new Date(now.getTime() + 5 * 60_000).toISOString();
    const acs = sp.entityMeta.getAssertionConsumerService('post') as string;
    const attributes = Object.entries(user.attributes).map(([name, values]) =>
      `<saml:Attribute Name="${xmlText(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">${values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${xmlText(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`).join('');
    const authn = `<saml:AuthnStatement AuthnInstant="${(options.authnInstant ?? now).toISOString()}" SessionIndex="_s${Date.now()}"><saml:AuthnContext><saml:AuthnContextClassRef>${xmlText(user.authnContext ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport')}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`;
    const id = `_r${Math.random().toString(16).slice(2)}`;
    const response = await this.idp.createLoginResponse(sp, { extract: { request: { id: inResponseTo } } }, 'post', {}, (samlifyTemplate: string) => {
      // The Response's Issuer is the first one, before the Status; the assertion's follows.
      let template = options.responseIssuer === undefined ? samlifyTemplate : samlifyTemplate.replace('<saml:Issuer>{Issuer}</saml:Issuer><samlp:Status>', `<saml:Issuer>${xmlText(options.responseIssuer)}</saml:Issuer><samlp:Status>`);
      if (options.destination === null) template = template.replace(' Destination="{Destination}"', '');
      return {
      id,
      context: samlify.SamlLib.replaceTagsByValue(template, {
        ID: id, AssertionID: `_a${Math.random().toString(16).slice(2)}`, Destination: options.destination ?? acs, Audience: sp.entityMeta.getEntityID(), SubjectRecipient: options.recipient ?? acs,
        Issuer: this.entityId, IssueInstant: now.toISOString(), StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
        ConditionsNotBefore: now.toISOString(), ConditionsNotOnOrAfter: later, SubjectConfirmationDataNotOnOrAfter: later,
        NameIDFormat: user.nameIdFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', NameID: user.nameId, InResponseTo: inResponseTo,
      // replaceTagsByValue escapes what it puts in: the two statements are XML, put in after it.
      }).replace('{AuthnStatement}', authn).replace('{AttributeStatement}', `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`),
      };
    });
    return response.context;
  }
}
