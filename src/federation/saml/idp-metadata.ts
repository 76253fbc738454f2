/**
 * SAML metadata (one EntityDescriptor or an EntitiesDescriptor aggregate) → the IdP records Porta's registry
 * keeps. Parsed with an XML DOM, never with regular expressions. Signature checking of the document is the
 * caller's business (a pinned certificate per source); this only reads what an IdP may use.
 */
import { DOMParser, onErrorStopParsing, type Element } from '@xmldom/xmldom';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const SHIBMD = 'urn:mace:shibboleth:metadata:1.0';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const SAML2 = 'urn:oasis:names:tc:SAML:2.0:protocol';

export interface SamlIdp {
  entityId: string;
  /** SingleSignOnService with the HTTP-Redirect binding. */
  ssoRedirectUrl: string;
  /** Base64 DER certificates for use="signing" (or no use). */
  signingCertificates: string[];
  /** mdui:DisplayName by language (en, it, …). */
  displayNames: Record<string, string>;
  /** shibmd:Scope values (regexp scopes are not honoured). */
  scopes: string[];
}

export class MetadataError extends Error {}

function children(parent: Element, ns: string, name: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns, name));
}

function text(element: Element): string {
  return (element.textContent ?? '').trim();
}

function idpOf(entity: Element): SamlIdp | undefined {
  const entityId = entity.getAttribute('entityID') ?? '';
  const descriptor = children(entity, MD, 'IDPSSODescriptor').find((d) =>
    (d.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2),
  );
  if (!entityId || !descriptor) return undefined;
  const sso = children(descriptor, MD, 'SingleSignOnService').find((s) => s.getAttribute('Binding') === REDIRECT);
  const ssoRedirectUrl = sso?.getAttribute('Location') ?? '';
  if (!/^https?:\/\//.test(ssoRedirectUrl)) return undefined;
  const signingCertificates = children(descriptor, MD, 'KeyDescriptor')
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((k) => children(k, DS, 'X509Certificate').map((c) => text(c).replace(/\s+/g, '')))
    .filter((c) => c.length > 0);
  if (signingCertificates.length === 0) return undefined;
  const displayNames: Record<string, string> = {};
  for (const name of children(descriptor, MDUI, 'DisplayName')) {
    const lang = name.getAttributeNS('http://www.w3.org/XML/1998/namespace', 'lang') ?? name.getAttribute('xml:lang') ?? 'en';
    if (text(name)) displayNames[lang] = text(name);
  }
  const scopes = children(descriptor, SHIBMD, 'Scope')
    .filter((s) => s.getAttribute('regexp') !== 'true')
    .map(text)
    .filter((s) => s.length > 0);
  return { entityId, ssoRedirectUrl, signingCertificates, displayNames, scopes };
}

/** Every usable SAML2 IdP in the document; entities that are no IdP or lack a redirect SSO or a key are skipped. */
export function parseIdpMetadata(xml: string): SamlIdp[] {
  let root: Element | null;
  try {
    // Stop at the first XML error (not only fatal ones), quietly: the caller reports the reason.
    root = new DOMParser({ onError: onErrorStopParsing }).parseFromString(xml, 'text/xml').documentElement;
  } catch (error) {
    throw new MetadataError(`metadata is not well-formed XML: ${(error as Error).message}`);
  }
  if (!root || root.namespaceURI !== MD || !['EntityDescriptor', 'EntitiesDescriptor'].includes(root.localName ?? '')) {
    throw new MetadataError('metadata is neither an EntityDescriptor nor an EntitiesDescriptor');
  }
  const entities = root.localName === 'EntityDescriptor' ? [root] : children(root, MD, 'EntityDescriptor');
  return entities.map(idpOf).filter((idp): idp is SamlIdp => idp !== undefined);
}
