import { MetadataError, parseIdpMetadata } from '../src/federation/saml/idp-metadata.js';

const entity = (entityId: string, extra = '', sso = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect') => `
  <md:EntityDescriptor entityID="${entityId}">
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:Extensions>
        <shibmd:Scope regexp="false">uni.example</shibmd:Scope>
        <shibmd:Scope regexp="true">^.*\\.uni\\.example$</shibmd:Scope>
        <mdui:UIInfo>
          <mdui:DisplayName xml:lang="en">University of Example</mdui:DisplayName>
          <mdui:DisplayName xml:lang="it">Università di Esempio</mdui:DisplayName>
        </mdui:UIInfo>
      </md:Extensions>
      <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
        MIIBsign
        ONE=</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIBenc=</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIBboth=</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.uni.example/post"/>
      <md:SingleSignOnService Binding="${sso}" Location="https://idp.uni.example/sso"/>
      ${extra}
    </md:IDPSSODescriptor>
  </md:EntityDescriptor>`;

const ns =
  'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ' +
  'xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0"';

const expected = {
  entityId: 'https://idp.uni.example/idp',
  ssoRedirectUrl: 'https://idp.uni.example/sso',
  signingCertificates: ['MIIBsignONE=', 'MIIBboth='],
  displayNames: { en: 'University of Example', it: 'Università di Esempio' },
  scopes: ['uni.example'],
};

describe('IdP metadata → registry records', () => {
  test('one EntityDescriptor gives its redirect SSO, signing certificates, names in en/it and literal scopes', () => {
    const xml = entity('https://idp.uni.example/idp').replace('<md:EntityDescriptor ', `<md:EntityDescriptor ${ns} `);
    expect(parseIdpMetadata(xml)).toEqual([expected]);
  });

  test('an aggregate gives every usable IdP and skips those without a redirect SSO', () => {
    const xml = `<md:EntitiesDescriptor ${ns}>${entity('https://idp.uni.example/idp')}${entity('https://idp.two.example/idp')}${entity(
      'https://post-only.example/idp',
      '',
      'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    )}</md:EntitiesDescriptor>`;
    expect(parseIdpMetadata(xml).map((idp) => idp.entityId)).toEqual(['https://idp.uni.example/idp', 'https://idp.two.example/idp']);
  });

  test('a document that is not SAML metadata is refused with a reason', () => {
    expect(() => parseIdpMetadata('<html><body>not metadata</body></html>')).toThrow(MetadataError);
    expect(() => parseIdpMetadata('<md:EntityDescriptor')).toThrow(MetadataError);
  });
});
