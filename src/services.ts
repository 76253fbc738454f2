/** What the running process is made of, built once and handed to the app, the CLI and the tests. */
import type { Config } from '../config/schema.js';
import { PasswordHasher } from './accounts/passwords.js';
import type { Clock } from './clock.js';
import { Flows, TokenHasher } from './flows/flows.js';
import { RateLimits } from './http/rate-limit.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { Mailer } from './mail/mailer.js';
import { SecondFactors } from './mfa/second-factors.js';
import { SpKeys } from './federation/saml/sp-keys.js';
import { FederationRegistry } from './federation/registry.js';
import { Accounts } from './storage/accounts.js';
import { Audit } from './storage/audit.js';
import type { Db } from './storage/db.js';
import { SigningKeys } from './storage/signing-keys.js';

export interface Services {
  config: Config;
  clock: Clock;
  logger: Logger;
  db: Db;
  accounts: Accounts;
  audit: Audit;
  hasher: PasswordHasher;
  keys: SigningKeys;
  /** Porta's own SAML SP key pairs and certificates. */
  spKeys: SpKeys;
  /** The institutions people may sign in with (FEDERATION_FILE; loaded by the server, empty for the CLI). */
  federation: FederationRegistry;
  secondFactors: SecondFactors;
  flows: Flows;
  mailer: Mailer;
  rateLimits: RateLimits;
  metrics: Metrics;
}

/** A retired key stays published as long as the longest-lived token it may have signed, plus a minute of clock skew. */
export const keyRetentionMs = (config: Config) => (Math.max(config.idTokenTtlSeconds, config.accessTokenTtlSeconds) + 60) * 1000;

/** The SP certificates' subject: the host of the SAML entityID, else of ISSUER. */
function spCommonName(config: Config): string {
  const url = config.samlSpEntityId || config.issuer;
  return url ? new URL(url).hostname : 'localhost';
}

export function createServices(config: Config, db: Db, clock: Clock, logger: Logger, federation = new FederationRegistry()): Services {
  const rateLimits = new RateLimits(db, { url: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger });
  const metrics = new Metrics();
  metrics.watchDatabase(db);
  return {
    config, clock, logger, db, metrics, federation,
    accounts: new Accounts(db, clock),
    audit: new Audit(db, clock, logger, (action) => metrics.audited(action)),
    hasher: new PasswordHasher({ memoryKib: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: config.argon2Parallelism }),
    keys: new SigningKeys(db, clock, config.keysEncryptionSecret, keyRetentionMs(config)),
    spKeys: new SpKeys(db, clock, config.keysEncryptionSecret, spCommonName(config), config.samlSpKeyOverlapDays * 86_400_000, config.samlSpCertificateDays),
    secondFactors: new SecondFactors(db, clock, config.keysEncryptionSecret),
    flows: new Flows(db, clock, new TokenHasher(config.keysEncryptionSecret)),
    mailer: new Mailer(config, logger, { notices: rateLimits.limiter('notice-recipient', config.noticesPerRecipientPerDay, 86400), counted: (result) => metrics.mail(result) }),
    rateLimits,
  };
}
