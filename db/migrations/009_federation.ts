import type { Knex } from 'knex';

// Issue 15: Porta as a SAML2 service provider. Its own key pairs (one for signing AuthnRequests, one
// that IdPs encrypt assertions to), each with a self-signed certificate published in the SP metadata.
// A rotated pair stays (retired_at set) and is still published, and still decrypts, during an overlap.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('saml_sp_keys', (t) => {
    t.string('id', 43).primary(); // base64url SHA-256 of the certificate (DER)
    t.string('use', 16).notNullable(); // signing | encryption
    t.text('certificate').notNullable(); // PEM
    t.text('private_key').notNullable(); // PKCS#8 PEM, sealed (src/storage/sealed.ts)
    t.bigInteger('created_at').notNullable();
    t.bigInteger('not_after').notNullable();
    t.bigInteger('retired_at').nullable();
    t.index(['use', 'retired_at']);
  });

  // AuthnRequests sent to IdPs: a response is accepted only InResponseTo one of them, once, before it expires.
  await knex.schema.createTable('saml_requests', (t) => {
    t.string('id', 64).primary(); // the AuthnRequest's ID
    t.string('idp_entity_id', 1024).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('consumed_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('saml_requests');
  await knex.schema.dropTableIfExists('saml_sp_keys');
}
