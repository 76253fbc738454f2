import type { Knex } from 'knex';

// Back-channel logouts owed to relying services for sessions Porta ended itself (reset, disable, ...):
// written in the transaction that ends the sessions, sent and deleted by the server afterwards, so the
// person's action never waits for or fails with a service, and a CLI command's logouts are sent too.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('logout_notices', (t) => {
    t.increments('id').primary();
    t.string('client_id', 255).notNullable();
    t.string('account_id', 43).notNullable();
    t.string('sid', 255).nullable();
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('logout_notices');
}
