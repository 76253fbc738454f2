import type { Knex } from 'knex';

// Most rows leave uid, user_code, grant_id or account_id empty (a refresh token has no uid, only a
// device code has a user_code, a session has no grant), yet every row still went into those indexes:
// each insert updated seven B-trees. Indexing only the rows that have a value makes a token write
// cheaper and the indexes smaller; lookups by a value (`uid = ?`) still use them.
const PARTIAL: [name: string, columns: string[], notNull: string, old: string[]][] = [
  ['oidc_payloads_uid_present', ['model', 'uid'], 'uid', ['model', 'uid']],
  ['oidc_payloads_user_code_present', ['model', 'user_code'], 'user_code', ['model', 'user_code']],
  ['oidc_payloads_grant_id_present', ['grant_id'], 'grant_id', ['grant_id']],
  ['oidc_payloads_account_id_present', ['account_id', 'model'], 'account_id', ['account_id', 'model']],
];

export async function up(knex: Knex): Promise<void> {
  for (const [name, columns, notNull, old] of PARTIAL) {
    await knex.schema.alterTable('oidc_payloads', (t) => {
      t.dropIndex(old);
      t.index(columns, name, { predicate: knex.whereNotNull(notNull) });
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const [name, , , old] of PARTIAL) {
    await knex.schema.alterTable('oidc_payloads', (t) => {
      t.dropIndex([], name);
      t.index(old);
    });
  }
}
