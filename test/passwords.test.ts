/** argon2id hashing: many at once (more than the machine's cores) all finish, and a bad hash frees its turn. */
import { PasswordHasher } from '../src/accounts/passwords.js';

const hasher = new PasswordHasher({ memoryKib: 1024, timeCost: 1, parallelism: 1 });

test('twelve sign-ins at once are all checked, each against its own hash', async () => {
  const passwords = Array.from({ length: 12 }, (_, i) => `password-${i}`);
  const hashes = await Promise.all(passwords.map((p) => hasher.hash(p)));
  const results = await Promise.all(hashes.map((h, i) => hasher.verify(h, passwords[(i + 1) % 12]!).then(async (wrong) => [wrong.ok, (await hasher.verify(h, passwords[i]!)).ok])));
  expect(results).toEqual(passwords.map(() => [false, true]));
});

test('malformed hashes and missing hashes answer "no" and leave the hasher working', async () => {
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => hasher.verify(i % 2 ? 'not-a-hash' : null, 'x')));
  expect(answers.every((a) => !a.ok)).toBe(true);
  expect((await hasher.verify(await hasher.hash('still works'), 'still works')).ok).toBe(true);
});
