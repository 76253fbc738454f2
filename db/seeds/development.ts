/** Development data only: a demo account on an empty database so a fresh clone can sign in at once. */
import type { Services } from '../../src/services.js';

export const DEMO_USERNAME = 'demo';
export const DEMO_PASSWORD = 'porta-demo-password';

export async function seedDevelopment(s: Services): Promise<boolean> {
  const any = await s.db('accounts').first('id');
  if (any) return false;
  await s.accounts.create({
    username: DEMO_USERNAME, passwordHash: await s.hasher.hash(DEMO_PASSWORD), givenName: 'Demo', familyName: 'Student',
    email: 'demo@example.org', emailVerified: true, userType: 'internal', status: 'active', birthdate: '2000-01-01',
  });
  s.logger.info({ username: DEMO_USERNAME }, 'development: created the demo account (password in the README)');
  return true;
}
