import type { Knex } from 'knex';

// Issue 15: federated sign-in. A person's identity at an institution (its entityID and the identifier it
// asserts), tied to one Porta account; the profile the institution sent last, refreshed at each sign-in.
// The database enforces one account per (institution, identifier).
// An AuthnRequest now records the interaction it was sent for and, once the response is checked, what it
// established (or why it failed) until the browser comes back with its cookies (interactions/saml.ts).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('federated_identities', (t) => {
    t.string('id', 43).primary();
    t.string('account_id', 43).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('idp', 1024).notNullable(); // entityID (SAML) or issuer (OIDC)
    t.string('subject', 512).notNullable(); // the identifier in attributes.ts federatedIdentifier's order
    t.text('claims').notNullable(); // JSON: the claims of the last sign-in (attributes.ts claimsFromAttributes)
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_login_at').notNullable();
    t.unique(['idp', 'subject']);
    t.index(['account_id']);
  });
  await knex.schema.alterTable('saml_requests', (t) => {
    t.string('interaction_uid', 64).nullable();
    t.text('outcome').nullable(); // JSON, set by the ACS, cleared when the interaction finishes
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('saml_requests', (t) => {
    t.dropColumn('outcome');
    t.dropColumn('interaction_uid');
  });
  await knex.schema.dropTableIfExists('federated_identities');
}
