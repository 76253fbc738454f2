import type { Knex } from 'knex';

// Review of issue 15, finding 7: an AuthnRequest records whether it asked the institution for REFEDS MFA,
// so that an error answer to that request (the IdP cannot do MFA) restarts once without it, and Porta's
// own second factor follows; a refusal of the plain request is then shown, not restarted again.
// It also records whether it asked for a fresh sign-in (ForceAuthn: prompt=login or max_age), so that an
// answer from an older sign-in at the IdP is refused rather than taken as fresh (finding 8).
// (Numbered 013 to leave 012 to the OIDC upstream's requests, built alongside.)
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('saml_requests', (t) => {
    t.boolean('requested_mfa').notNullable().defaultTo(false);
    t.boolean('force_authn').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('saml_requests', (t) => {
    t.dropColumn('force_authn');
    t.dropColumn('requested_mfa');
  });
}
