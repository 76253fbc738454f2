import type { Knex } from 'knex';

// Which account a session, grant or token belongs to, so all of them can be revoked at once
// (password reset, disable) and listed (the personal area's sessions).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.string('account_id', 43).nullable();
    t.index(['account_id', 'model']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropIndex(['account_id', 'model']);
    t.dropColumn('account_id');
  });
}
