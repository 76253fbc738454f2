import type { Knex } from 'knex';

// Brute-force protection per account, in the database so it holds across processes and restarts.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.bigInteger('last_failed_at').nullable();
    t.bigInteger('locked_until').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    t.dropColumn('locked_until');
    t.dropColumn('last_failed_at');
    t.dropColumn('failed_logins');
  });
}
