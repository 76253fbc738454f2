import type { Knex } from 'knex';

// One active key per algorithm (OIDC signing keys) and per use (SAML SP keys), enforced by the database:
// instances starting together on a fresh PostgreSQL database each found none and each created one.
// Copies a past race left behind are retired (they stay published for their retention), newest kept.
const TABLES: [table: string, column: string, id: string, index: string][] = [
  ['signing_keys', 'alg', 'kid', 'signing_keys_one_active'],
  ['saml_sp_keys', 'use', 'id', 'saml_sp_keys_one_active'],
];

export async function up(knex: Knex): Promise<void> {
  const now = Date.now();
  for (const [table, column, id, index] of TABLES) {
    const active = (await knex(table).whereNull('retired_at').orderBy('created_at', 'desc').select(column, id)) as Record<string, string>[];
    const kept = new Set<string>();
    for (const row of active) {
      if (!kept.has(row[column]!)) kept.add(row[column]!);
      else await knex(table).where(id, row[id]!).update({ retired_at: now });
    }
    await knex.schema.alterTable(table, (t) => t.unique([column], { indexName: index, predicate: knex.whereNull('retired_at') }));
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const [table, , , index] of TABLES) await knex.schema.alterTable(table, (t) => t.dropUnique([], index));
}
