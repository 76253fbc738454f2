/**
 * What an institution asserts about a person → Porta's identifier and claims. Protocol-neutral: the SAML SP
 * and the OIDC RP both hand in attribute values by their friendly names; nothing SAML leaks past here.
 */

/** SAML attribute names (urn:oid:… as sent by eduGAIN IdPs, and the OASIS URNs) → friendly names: one table. */
export const SAML_ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  'urn:oasis:names:tc:SAML:attribute:subject-id': 'subject-id',
  'urn:oasis:names:tc:SAML:attribute:pairwise-id': 'pairwise-id',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.13': 'eduPersonUniqueId',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.6': 'eduPersonPrincipalName',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.10': 'eduPersonTargetedID',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.9': 'eduPersonScopedAffiliation',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.7': 'eduPersonEntitlement',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.11': 'eduPersonAssurance',
  'urn:oid:2.16.840.1.113730.3.1.241': 'displayName',
  'urn:oid:2.5.4.42': 'givenName',
  'urn:oid:2.5.4.4': 'sn',
  'urn:oid:0.9.2342.19200300.100.1.3': 'mail',
  'urn:oid:1.3.6.1.4.1.25178.1.2.9': 'schacHomeOrganization',
  'urn:oid:1.3.6.1.4.1.25178.1.2.14': 'schacPersonalUniqueCode',
};

/** Friendly attribute name → claim; `multi` claims are arrays. */
export const CLAIM_OF_ATTRIBUTE: Readonly<Record<string, { claim: string; multi: boolean }>> = {
  displayName: { claim: 'name', multi: false },
  givenName: { claim: 'given_name', multi: false },
  sn: { claim: 'family_name', multi: false },
  mail: { claim: 'email', multi: false },
  eduPersonPrincipalName: { claim: 'eduperson_principal_name', multi: false },
  eduPersonScopedAffiliation: { claim: 'eduperson_scoped_affiliation', multi: true },
  eduPersonEntitlement: { claim: 'eduperson_entitlement', multi: true },
  eduPersonAssurance: { claim: 'eduperson_assurance', multi: true },
  schacHomeOrganization: { claim: 'schac_home_organization', multi: false },
  schacPersonalUniqueCode: { claim: 'schac_personal_unique_code', multi: true },
};

/** Attributes of the form value@scope, kept only when the scope is one the IdP's metadata declares. */
const SCOPED = new Set(['subject-id', 'pairwise-id', 'eduPersonPrincipalName', 'eduPersonScopedAffiliation', 'eduPersonUniqueId']);

const MAX_VALUE_LENGTH = 256;
const MAX_VALUES = 50;

export type Attributes = Readonly<Record<string, readonly string[]>>;

export interface IdpFacts {
  /** shibmd:Scope values of the IdP's metadata (lowercase comparison). */
  scopes: readonly string[];
  /** The source says eduPersonPrincipalName is never reassigned at this IdP. */
  eppnNeverReassigned: boolean;
}

export interface NameId {
  value: string;
  format: string;
}

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

/** Friendly names for whatever names the IdP used; unknown attributes are dropped. */
export function friendlyAttributes(raw: Readonly<Record<string, readonly string[] | string>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    const friendly = SAML_ATTRIBUTE_NAMES[name] ?? (Object.values(SAML_ATTRIBUTE_NAMES).includes(name) ? name : undefined);
    if (!friendly) continue;
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    out[friendly] = [...(out[friendly] ?? []), ...values];
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const usable = (value: string) => value.length > 0 && value.length <= MAX_VALUE_LENGTH && !/[\u0000-\u001f\u007f]/.test(value);

/**
 * Values that are bounded, printable, and (for scoped attributes) in a declared scope; schacHomeOrganization
 * only when it is itself one of the declared scopes (relying services tell the institution by it, so an IdP
 * must not claim another's). The dropped ones are named.
 */
export function checkedAttributes(attributes: Attributes, idp: IdpFacts): { kept: Record<string, string[]>; dropped: string[] } {
  const scopes = new Set(idp.scopes.map((s) => s.toLowerCase()));
  const kept: Record<string, string[]> = {};
  const dropped: string[] = [];
  for (const [name, values] of Object.entries(attributes)) {
    const good = values.slice(0, MAX_VALUES).filter((value) => {
      if (!usable(value)) return false;
      if (name === 'schacHomeOrganization') return scopes.has(value.toLowerCase());
      if (!SCOPED.has(name)) return true;
      const at = value.lastIndexOf('@');
      return at > 0 && scopes.has(value.slice(at + 1).toLowerCase());
    });
    if (good.length < values.length) dropped.push(name);
    if (good.length > 0) kept[name] = good;
  }
  return { kept, dropped };
}

/**
 * The person's stable identifier at the institution, in the order; undefined when only a transient
 * NameID (or nothing usable) came, which the caller refuses with "the institution sent no identifier".
 * The first kind present decides: several values of it, or a NameID that is too long or not printable,
 * are refused too, rather than picking one value or falling to another kind (which would name the same
 * person differently from one sign-in to the next).
 */
export function federatedIdentifier(attributes: Attributes, nameId: NameId | undefined, idp: IdpFacts): string | undefined {
  const values = (name: string): readonly string[] | undefined => (attributes[name]?.length ? attributes[name] : undefined);
  const chosen =
    values('subject-id') ??
    values('pairwise-id') ??
    (nameId && nameId.format === PERSISTENT && nameId.value ? [nameId.value] : undefined) ??
    values('eduPersonUniqueId') ??
    (idp.eppnNeverReassigned ? values('eduPersonPrincipalName') : undefined) ??
    values('eduPersonTargetedID');
  return chosen?.length === 1 && usable(chosen[0]!) ? chosen[0] : undefined;
}

/** Claims from checked attributes; `email_verified` only when the source is trusted to have verified mail. */
export function claimsFromAttributes(attributes: Attributes, emailVerified: boolean): Record<string, string | string[] | boolean> {
  const claims: Record<string, string | string[] | boolean> = {};
  for (const [name, values] of Object.entries(attributes)) {
    const target = CLAIM_OF_ATTRIBUTE[name];
    const firstValue = values[0];
    if (!target || firstValue === undefined) continue;
    claims[target.claim] = target.multi ? [...values] : firstValue;
  }
  if (typeof claims.email === 'string') claims.email_verified = emailVerified;
  return claims;
}
