/**
 * Migrations are listed here rather than discovered on disk, so they load the same from TypeScript
 * sources (tests, tsx) and from the compiled build. Append new ones; never edit an applied one.
 */
import type { Knex } from 'knex';
import * as m001 from './001_foundation.js';
import * as m002 from './002_payload_account.js';
import * as m004 from './004_access.js';
import * as m005 from './005_lockout.js';
import * as m006 from './006_partial_indexes.js';
import * as m007 from './007_logout_notices.js';
import * as m008 from './008_second_factors.js';
import * as m009 from './009_federation.js';
import * as m010 from './010_one_active_key.js';
import * as m011 from './011_federated_identities.js';
import * as m012 from './012_oidc_requests.js';
import * as m013 from './013_saml_request_mfa.js';

interface Migration { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }
const migrations: Record<string, Migration> = {
  '001_foundation': m001,
  '002_payload_account': m002,
  '004_access': m004,
  '005_lockout': m005,
  '006_partial_indexes': m006,
  '007_logout_notices': m007,
  '008_second_factors': m008,
  '009_federation': m009,
  '010_one_active_key': m010,
  '011_federated_identities': m011,
  '012_oidc_requests': m012,
  '013_saml_request_mfa': m013,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
