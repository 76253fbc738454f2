/**
 * Porta's own SAML SP metadata: what a federation operator registers and what IdPs load to trust our
 * AuthnRequests and encrypt assertions to us. Built as a DOM with @xmldom/xmldom (text is escaped by the
 * serializer, never by hand); served at GET /saml/metadata and printed by `porta federation sp-metadata`.
 */
import { DOMImplementation, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import type { Config } from '../../../config/schema.js';
import { SAML_ATTRIBUTE_NAMES } from '../attributes.js';
import { certificateBody, type SpKey } from './sp-keys.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const MDATTR = 'urn:oasis:names:tc:SAML:metadata:attribute';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const REFEDS_SIRTFI_CONTACT = 'http://refeds.org/metadata';
export const ACS_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
export const ENTITY_CATEGORY = 'http://macedir.org/entity-category';

/** The attributes of the REFEDS Research and Scholarship bundle, with the identifiers Porta reads first. */
const REQUESTED = [
  'urn:oasis:names:tc:SAML:attribute:subject-id',
  'urn:oasis:names:tc:SAML:attribute:pairwise-id',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', // eduPersonPrincipalName
  'urn:oid:0.9.2342.19200300.100.1.3', // mail
  'urn:oid:2.16.840.1.113730.3.1.241', // displayName
  'urn:oid:2.5.4.42', // givenName
  'urn:oid:2.5.4.4', // sn
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.9', // eduPersonScopedAffiliation
];

/** SAML_SP_ENTITY_ID, or the metadata's own address under the issuer. */
export const spEntityId = (config: Config, issuer: string) => config.samlSpEntityId || `${issuer}/saml/metadata`;
export const acsUrl = (issuer: string) => `${issuer}/saml/acs`;

export function spMetadata(config: Config, issuer: string, keys: readonly SpKey[]): string {
  const doc: Document = new DOMImplementation().createDocument(MD, 'md:EntityDescriptor', null);
  const root = doc.documentElement!;
  root.setAttribute('entityID', spEntityId(config, issuer));
  const add = (parent: Element, ns: string, name: string, attrs: Record<string, string> = {}, text?: string): Element => {
    const el = doc.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.appendChild(doc.createTextNode(text));
    parent.appendChild(el);
    return el;
  };

  if (config.samlSpEntityCategories.length) {
    const ext = add(root, MD, 'md:Extensions');
    const attrs = add(ext, MDATTR, 'mdattr:EntityAttributes');
    const attr = add(attrs, SAML, 'saml:Attribute', { Name: ENTITY_CATEGORY, NameFormat: URI_FORMAT });
    for (const category of config.samlSpEntityCategories) add(attr, SAML, 'saml:AttributeValue', {}, category);
  }

  const sp = add(root, MD, 'md:SPSSODescriptor', {
    protocolSupportEnumeration: 'urn:oasis:names:tc:SAML:2.0:protocol', AuthnRequestsSigned: 'true', WantAssertionsSigned: 'true',
  });
  const ui = add(add(sp, MD, 'md:Extensions'), MDUI, 'mdui:UIInfo');
  const names = { en: config.samlSpDisplayNameEn, it: config.samlSpDisplayNameIt || config.samlSpDisplayNameEn };
  for (const [lang, name] of Object.entries(names)) add(ui, MDUI, 'mdui:DisplayName', { 'xml:lang': lang }, name);
  const descriptions = { en: config.samlSpDescriptionEn, it: config.samlSpDescriptionIt };
  for (const [lang, text] of Object.entries(descriptions)) if (text) add(ui, MDUI, 'mdui:Description', { 'xml:lang': lang }, text);
  const privacy = config.samlSpPrivacyUrl || config.privacyNoticeUrl;
  if (privacy) for (const lang of ['en', 'it']) add(ui, MDUI, 'mdui:PrivacyStatementURL', { 'xml:lang': lang }, privacy);
  if (config.samlSpLogoUrl) add(ui, MDUI, 'mdui:Logo', { width: String(config.samlSpLogoWidth), height: String(config.samlSpLogoHeight) }, config.samlSpLogoUrl);

  for (const key of keys) {
    const use = key.use === 'signing' ? 'signing' : 'encryption';
    const descriptor = add(sp, MD, 'md:KeyDescriptor', { use });
    const info = add(descriptor, DS, 'ds:KeyInfo');
    add(add(info, DS, 'ds:X509Data'), DS, 'ds:X509Certificate', {}, certificateBody(key.certificate));
    if (use === 'encryption') {
      // What we decrypt (node-saml / xml-encryption): AES-GCM or AES-CBC content, RSA-OAEP key transport.
      for (const algorithm of ['http://www.w3.org/2009/xmlenc11#aes256-gcm', 'http://www.w3.org/2009/xmlenc11#aes128-gcm', 'http://www.w3.org/2001/04/xmlenc#aes256-cbc', 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p']) {
        add(descriptor, MD, 'md:EncryptionMethod', { Algorithm: algorithm });
      }
    }
  }

  add(sp, MD, 'md:NameIDFormat', {}, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
  add(sp, MD, 'md:AssertionConsumerService', { Binding: ACS_BINDING, Location: acsUrl(issuer), index: '0', isDefault: 'true' });
  const service = add(sp, MD, 'md:AttributeConsumingService', { index: '0', isDefault: 'true' });
  add(service, MD, 'md:ServiceName', { 'xml:lang': 'en' }, names.en);
  add(service, MD, 'md:ServiceName', { 'xml:lang': 'it' }, names.it);
  for (const name of REQUESTED) {
    add(service, MD, 'md:RequestedAttribute', { FriendlyName: SAML_ATTRIBUTE_NAMES[name] ?? name.split(':').pop()!, Name: name, NameFormat: URI_FORMAT, isRequired: 'false' });
  }

  const contacts: [string, string, Record<string, string>][] = [
    ['technical', config.samlSpTechnicalContact, {}],
    ['support', config.samlSpSupportContact, {}],
    // REFEDS SIRTFI: a security contact is contactType="other" with remd:contactType.
    ['other', config.samlSpSecurityContact, { 'xmlns:remd': REFEDS_SIRTFI_CONTACT, 'remd:contactType': 'http://refeds.org/metadata/contactType/security' }],
  ];
  for (const [type, email, attrs] of contacts) {
    if (!email) continue;
    const contact = add(root, MD, 'md:ContactPerson', { contactType: type, ...attrs });
    add(contact, MD, 'md:EmailAddress', {}, `mailto:${email}`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}\n`;
}
