import type { Knex } from 'knex';

// Timestamps are epoch milliseconds in bigint columns: the same on SQLite and PostgreSQL.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.string('id', 43).primary(); // the OIDC subject: random, opaque, never reused
    t.string('person_code', 8).notNullable().unique();
    t.string('username', 64).nullable();
    t.string('username_key', 64).nullable().unique(); // case-folded for matching
    t.string('password_hash', 255).nullable(); // null: federated or password not yet set
    t.string('given_name', 100).notNullable();
    t.string('family_name', 100).notNullable();
    t.string('birthdate', 10).nullable(); // YYYY-MM-DD
    t.string('email', 254).nullable();
    t.string('email_key', 254).nullable().unique(); // normalised: one account per address
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.string('phone', 20).nullable(); // E.164
    t.string('user_type', 16).notNullable(); // internal | external | federated
    t.string('status', 16).notNullable(); // pending | active | disabled
    t.string('locale', 8).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('activated_at').nullable();
    t.bigInteger('last_login_at').nullable();
    t.bigInteger('password_changed_at').nullable();
    t.bigInteger('disabled_at').nullable();
    t.index(['status', 'created_at']);
  });

  // Everything oidc-provider persists (sessions, grants, codes, tokens, interactions, ...).
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 40).notNullable();
    t.string('id', 255).notNullable();
    t.text('payload').notNullable();
    t.string('grant_id', 255).nullable();
    t.string('user_code', 255).nullable();
    t.string('uid', 255).nullable();
    t.bigInteger('expires_at').nullable();
    t.bigInteger('consumed_at').nullable();
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['model', 'uid']);
    t.index(['model', 'user_code']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.text('public_jwk').notNullable();
    t.text('private_jwk').notNullable(); // JSON, or an "enc:v1:" AES-256-GCM envelope
    t.bigInteger('created_at').notNullable();
    t.bigInteger('retired_at').nullable(); // no longer signs; still published until its tokens expire
  });

  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 128).primary();
    t.text('metadata').notNullable(); // oidc-provider client metadata as JSON
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  // Self-service flows (activation, password reset, email change, access codes): kind, state, expiry,
  // and the hash of a single-use token.
  await knex.schema.createTable('flows', (t) => {
    t.string('id', 43).primary();
    t.string('kind', 32).notNullable();
    t.string('state', 32).notNullable();
    // SET NULL, not CASCADE: a flow outlives a deleted pending account as a tombstone, so its link can still
    // say "expired, register again" rather than "unknown link".
    t.string('account_id', 43).nullable().references('id').inTable('accounts').onDelete('SET NULL');
    t.string('token_hash', 64).nullable().unique();
    t.text('data').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('consumed_at').nullable();
    t.index(['account_id', 'kind']);
    t.index(['expires_at']);
  });

  // rate-limiter-flexible's store (its own column names): per-IP and per-account counters shared by every process.
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire').nullable();
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.increments('id').primary();
    t.bigInteger('at').notNullable();
    t.string('action', 64).notNullable();
    t.string('actor', 64).notNullable(); // "account:<id>", "cli", "system"
    t.string('account_id', 43).nullable();
    t.string('client_id', 128).nullable();
    t.string('ip', 64).nullable();
    t.text('details').nullable();
    t.index(['account_id', 'at']);
    t.index(['at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'rate_limits', 'flows', 'clients', 'signing_keys', 'oidc_payloads', 'accounts']) {
    await knex.schema.dropTableIfExists(table);
  }
}
