import type { Knex } from 'knex';

// Issue 15, OIDC upstreams: an authorization request to an OIDC institution is kept in the same store as a
// SAML AuthnRequest (its ID is the `state`; the interaction, expiry, single use and outcome work the same),
// plus what only OIDC needs: the nonce, the PKCE verifier and whether REFEDS MFA was asked for (JSON).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('saml_requests', (t) => {
    t.text('oidc').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('saml_requests', (t) => {
    t.dropColumn('oidc');
  });
}
