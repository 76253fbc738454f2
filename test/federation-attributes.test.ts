import {
  checkedAttributes,
  claimsFromAttributes,
  federatedIdentifier,
  friendlyAttributes,
} from '../src/federation/attributes.js';

const idp = { scopes: ['uni.example'], eppnNeverReassigned: false };
const persistent = { value: 'p-123', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' };
const transient = { value: '_t9', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' };

describe('what an institution asserts → identifier and claims', () => {
  test('the identifier follows the order: subject-id, pairwise-id, persistent NameID, eduPersonUniqueId, ePPN (never reassigned), eduPersonTargetedID', () => {
    const all = {
      'subject-id': ['s@uni.example'],
      'pairwise-id': ['pw@uni.example'],
      eduPersonUniqueId: ['u@uni.example'],
      eduPersonPrincipalName: ['e@uni.example'],
      eduPersonTargetedID: ['t'],
    };
    expect(federatedIdentifier(all, persistent, idp)).toBe('s@uni.example');
    const { 'subject-id': _s, ...noSubject } = all;
    expect(federatedIdentifier(noSubject, persistent, idp)).toBe('pw@uni.example');
    const { 'pairwise-id': _p, ...noPairwise } = noSubject;
    expect(federatedIdentifier(noPairwise, persistent, idp)).toBe('p-123');
    expect(federatedIdentifier(noPairwise, transient, idp)).toBe('u@uni.example');
    const { eduPersonUniqueId: _u, ...noUnique } = noPairwise;
    expect(federatedIdentifier(noUnique, transient, idp)).toBe('t');
    expect(federatedIdentifier(noUnique, transient, { ...idp, eppnNeverReassigned: true })).toBe('e@uni.example');
  });

  test('a transient NameID with nothing else is no identifier', () => {
    expect(federatedIdentifier({ mail: ['a@uni.example'] }, transient, idp)).toBeUndefined();
    expect(federatedIdentifier({}, undefined, idp)).toBeUndefined();
  });

  test('SAML names map to friendly names; unknown attributes are dropped', () => {
    expect(
      friendlyAttributes({
        'urn:oid:0.9.2342.19200300.100.1.3': 'ada@uni.example',
        'urn:oid:1.3.6.1.4.1.5923.1.1.1.9': ['member@uni.example', 'staff@uni.example'],
        'urn:oid:9.9.9': 'x',
        givenName: ['Ada'],
      }),
    ).toEqual({ mail: ['ada@uni.example'], eduPersonScopedAffiliation: ['member@uni.example', 'staff@uni.example'], givenName: ['Ada'] });
  });

  test('scoped values outside the declared scopes, overlong and control-character values are dropped and named', () => {
    const { kept, dropped } = checkedAttributes(
      {
        eduPersonScopedAffiliation: ['member@uni.example', 'staff@other.example'],
        eduPersonPrincipalName: ['ada@OTHER.example'],
        displayName: ['x'.repeat(300)],
        givenName: ['Ada\u0000'],
        sn: ['Lovelace'],
      },
      idp,
    );
    expect(kept).toEqual({ eduPersonScopedAffiliation: ['member@uni.example'], sn: ['Lovelace'] });
    expect(dropped.sort()).toEqual(['displayName', 'eduPersonPrincipalName', 'eduPersonScopedAffiliation', 'givenName']);
  });

  test('attributes become the REFEDS/AARC claims; email_verified only when the source is trusted', () => {
    const attributes = {
      displayName: ['Ada Lovelace'],
      givenName: ['Ada'],
      sn: ['Lovelace'],
      mail: ['ada@uni.example'],
      eduPersonPrincipalName: ['ada@uni.example'],
      eduPersonScopedAffiliation: ['staff@uni.example'],
      eduPersonEntitlement: ['urn:mace:dir:entitlement:common-lib-terms'],
      eduPersonAssurance: ['https://refeds.org/assurance'],
      schacHomeOrganization: ['uni.example'],
      schacPersonalUniqueCode: ['urn:schac:personalUniqueCode:int:esi:it:123'],
    };
    expect(claimsFromAttributes(attributes, false)).toEqual({
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      email: 'ada@uni.example',
      email_verified: false,
      eduperson_principal_name: 'ada@uni.example',
      eduperson_scoped_affiliation: ['staff@uni.example'],
      eduperson_entitlement: ['urn:mace:dir:entitlement:common-lib-terms'],
      eduperson_assurance: ['https://refeds.org/assurance'],
      schac_home_organization: 'uni.example',
      schac_personal_unique_code: ['urn:schac:personalUniqueCode:int:esi:it:123'],
    });
    expect(claimsFromAttributes({ mail: ['ada@uni.example'] }, true)).toEqual({ email: 'ada@uni.example', email_verified: true });
  });
});
