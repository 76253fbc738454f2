import type { Knex } from 'knex';

// Issue 5: who may enter which service, and the account lifecycle.
export async function up(knex: Knex): Promise<void> {
  // A person who entered a valid access code for a client: later sign-ins to it need only credentials.
  await knex.schema.createTable('access_grants', (t) => {
    t.string('account_id', 43).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('client_id', 128).notNullable();
    t.bigInteger('accepted_at').notNullable();
    t.string('flow_id', 43).nullable(); // the access-code flow that was accepted (flows are swept later)
    t.primary(['account_id', 'client_id']);
    t.index(['client_id']);
  });

  await knex.schema.alterTable('accounts', (t) => {
    // When the inactivity warning went out; it counts only while no later use (sign-in, re-enabling) followed.
    t.bigInteger('inactivity_warned_at').nullable();
    // Why a disabled account was disabled: 'inactive' (lifecycle: deleted after the grace period) or 'helpdesk'.
    t.string('disabled_reason', 16).nullable();
    // When the helpdesk last re-enabled the account: the inactivity clock starts again from here.
    t.bigInteger('enabled_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    t.dropColumn('enabled_at');
    t.dropColumn('disabled_reason');
    t.dropColumn('inactivity_warned_at');
  });
  await knex.schema.dropTableIfExists('access_grants');
}
