/** A fresh Porta database with `count` active accounts, each with its own password, hashed as Porta hashes. */
import type { Config } from '../../config/schema.js';
import { PasswordHasher } from '../../src/accounts/passwords.js';
import { systemClock } from '../../src/clock.js';
import { Accounts } from '../../src/storage/accounts.js';
import { migrate, openDatabase } from '../../src/storage/db.js';
import { password, username } from './common.js';

export async function seedUsers(config: Config, count: number): Promise<void> {
  const db = openDatabase(config.databaseUrl);
  try {
    await migrate(db);
    const accounts = new Accounts(db, systemClock);
    const hasher = new PasswordHasher({ memoryKib: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: config.argon2Parallelism });
    let next = 0;
    // As many hashes at once as libuv has threads; inserts are serialised by the one connection.
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < count) {
        const i = next++;
        await accounts.create({
          username: username(i), passwordHash: await hasher.hash(password(i)), givenName: 'Maria', familyName: `Rossi${i}`,
          email: `${username(i)}@example.org`, emailVerified: true, userType: 'internal', status: 'active', birthdate: '2001-05-17', phone: '+393331234567',
        });
      }
    }));
  } finally {
    await db.destroy();
  }
}
