/** Second factors in storage: TOTP checked against the RFC, secrets sealed, codes used once, recovery codes single-use. */
import { newTotpSecret } from '../src/mfa/totp.js';
import { StillClock } from './helpers/clock.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { totp } from './helpers/totp.js';

describe("the tests' own TOTP", () => {
  // RFC 6238 Appendix B: SHA-1 with the 20-byte ASCII key "12345678901234567890", 8 digits.
  const key = Buffer.from('12345678901234567890');
  test.each([
    [59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'],
    [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130'],
  ])('at %i s it gives %s', (seconds, code) => {
    expect(totp(key, seconds * 1000, 8)).toBe(code);
  });
});

describe('authenticator apps', () => {
  let porta: TestPorta;
  const clock = new StillClock();
  beforeAll(async () => { porta = await startPorta({ keysEncryptionSecret: 'test-keys-encryption-secret-0123456789abcdef' }, { clock }); });
  afterAll(() => porta.stop());

  test('a code is accepted within one step either way, once, and the secret is stored sealed', async () => {
    const { secondFactors } = porta.services;
    const account = await porta.createAccount();
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const now = clock.now();
    await secondFactors.addTotp(account.id, 'Phone', secret, Math.floor(now / 30000) - 2);

    const row = await porta.services.db('second_factors').where({ account_id: account.id }).first();
    expect(row.kind).toBe('totp');
    expect(row.totp_secret).toMatch(/^enc:v1:/);
    expect(row.totp_secret).not.toContain(secret);

    expect(await secondFactors.verifyCode(account.id, totp(secret, now - 60_000))).toEqual({ ok: false });
    const previous = await secondFactors.verifyCode(account.id, totp(secret, now - 30_000));
    expect(previous).toMatchObject({ ok: true, via: 'method', amr: 'otp', method: { name: 'Phone', kind: 'totp' } });
    // The same code again, inside its window: refused.
    expect(await secondFactors.verifyCode(account.id, totp(secret, now - 30_000))).toEqual({ ok: false });
    expect(await secondFactors.verifyCode(account.id, totp(secret, now))).toMatchObject({ ok: true });
    // An earlier step than the last accepted one: refused too.
    clock.advance(60_000);
    expect(await secondFactors.verifyCode(account.id, totp(secret, clock.now() - 90_000))).toEqual({ ok: false });
    expect(await secondFactors.verifyCode(account.id, totp(secret, clock.now() + 30_000))).toMatchObject({ ok: true });
    expect(await secondFactors.verifyCode(account.id, '12345')).toEqual({ ok: false });
  });

  test('recovery codes: ten, each works once, regenerating ends the old ones, the database holds hashes', async () => {
    const { secondFactors } = porta.services;
    const account = await porta.createAccount();
    const codes = await secondFactors.recoveryCodes.regenerate(account.id);
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
    const stored = (await porta.services.db('recovery_codes').where({ account_id: account.id }).pluck('code_hash')) as string[];
    expect(stored.some((h) => codes.some((c) => h.includes(c.replace(/-/g, ''))))).toBe(false);

    expect(await secondFactors.verifyCode(account.id, codes[0]!.toLowerCase().replace(/-/g, ' '))).toEqual({ ok: true, via: 'recovery_code', amr: 'otp', left: 9 });
    expect(await secondFactors.verifyCode(account.id, codes[0]!)).toEqual({ ok: false });
    const other = await porta.createAccount();
    expect(await secondFactors.verifyCode(other.id, codes[1]!)).toEqual({ ok: false });

    const fresh = await secondFactors.recoveryCodes.regenerate(account.id);
    expect(await secondFactors.verifyCode(account.id, codes[1]!)).toEqual({ ok: false });
    expect(await secondFactors.verifyCode(account.id, fresh[0]!)).toMatchObject({ ok: true, left: 9 });
  });

  test('names are unique per account (the database says so), and the last method takes the recovery codes with it', async () => {
    const { secondFactors } = porta.services;
    const account = await porta.createAccount();
    const first = await secondFactors.addTotp(account.id, 'Phone', newTotpSecret(), 0);
    await expect(secondFactors.addTotp(account.id, 'Phone', newTotpSecret(), 0)).rejects.toThrow('Phone');
    const second = await secondFactors.addTotp(account.id, 'Tablet', newTotpSecret(), 0);
    await expect(secondFactors.rename(account.id, second.id, 'Phone')).rejects.toThrow('Phone');
    expect(await secondFactors.rename(account.id, second.id, 'Old tablet')).toBe(true);
    await secondFactors.recoveryCodes.regenerate(account.id);

    expect((await secondFactors.remove(account.id, first.id))?.name).toBe('Phone');
    expect(await secondFactors.recoveryCodes.left(account.id)).toBe(10);
    expect((await secondFactors.list(account.id)).map((m) => m.name)).toEqual(['Old tablet']);
    await secondFactors.remove(account.id, second.id);
    expect(await secondFactors.recoveryCodes.left(account.id)).toBe(0);
    expect(await secondFactors.has(account.id)).toBe(false);
  });
});
