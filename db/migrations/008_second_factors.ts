import type { Knex } from 'knex';

// Issue 14: second factors. One table for every kind of method (`totp` now, `webauthn` next), with the
// columns of each kind; recovery codes apart, hashed, each usable once.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('second_factors', (t) => {
    t.string('id', 22).primary();
    t.string('account_id', 43).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('kind', 16).notNullable(); // totp | webauthn
    t.string('name', 64).notNullable(); // chosen by the person
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_used_at').nullable();
    // totp: the secret, sealed (src/storage/sealed.ts), and the last time step accepted (no replay).
    t.text('totp_secret').nullable();
    t.bigInteger('totp_last_step').nullable();
    // webauthn: the credential (base64url id, COSE public key), its signature counter and transports.
    t.string('credential_id', 1400).nullable().unique();
    t.text('public_key').nullable();
    t.bigInteger('sign_counter').nullable();
    t.string('transports', 128).nullable(); // comma-separated
    t.unique(['account_id', 'name']);
  });

  await knex.schema.createTable('recovery_codes', (t) => {
    t.increments('id').primary();
    t.string('account_id', 43).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('code_hash', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.unique(['account_id', 'code_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('recovery_codes');
  await knex.schema.dropTableIfExists('second_factors');
}
