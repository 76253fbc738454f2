/** The account model and the claims it releases per scope. */
export const USER_TYPES = ['internal', 'external', 'federated'] as const;
export type UserType = (typeof USER_TYPES)[number];
export const ACCOUNT_STATUSES = ['pending', 'active', 'disabled'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export interface Account {
  id: string;
  personCode: string;
  username: string | null;
  passwordHash: string | null;
  givenName: string;
  familyName: string;
  birthdate: string | null;
  email: string | null;
  emailVerified: boolean;
  phone: string | null;
  userType: UserType;
  status: AccountStatus;
  locale: string | null;
  createdAt: number;
  activatedAt: number | null;
  lastLoginAt: number | null;
  passwordChangedAt: number | null;
  disabledAt: number | null;
  /** Wrong passwords in a row, and the lock they led to (see src/accounts/lockout.ts). */
  failedLogins: number;
  lastFailedAt: number | null;
  lockedUntil: number | null;
}

/** Unicode-normalised, trimmed and case-folded: how usernames are compared. */
export const usernameKey = (username: string) => username.normalize('NFKC').trim().toLowerCase();
/** How email addresses are compared: one account per address, ignoring case. */
export const emailKey = (email: string) => email.normalize('NFKC').trim().toLowerCase();

export const USERNAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}._-]{2,63}$/u;

/**
 * Scripts a username may be written in. A letter outside them is refused: with no script to compare it
 * cannot be checked for look-alikes.
 */
const SCRIPTS = ['Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Georgian', 'Devanagari', 'Bengali', 'Thai',
  'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo'] as const;
const SCRIPT_TESTS = SCRIPTS.map((name) => [name, new RegExp(`\\p{Script_Extensions=${name}}`, 'u')] as const);
/** TR39's augmented script sets: Han goes with kana (Japanese), Bopomofo and Hangul. */
const AUGMENT: Record<string, string[]> = { Han: ['Jpan', 'Hanb', 'Kore'], Hiragana: ['Jpan'], Katakana: ['Jpan'], Bopomofo: ['Hanb'], Hangul: ['Kore'] };

/**
 * Unicode TR39 mixed-script detection: the scripts shared by every character (digits and `._-` belong
 * to all) must not be empty. `dеmo` with a Cyrillic `е` has none, so it cannot pose as `demo`.
 */
export function isMixedScript(text: string): boolean {
  let common: Set<string> | undefined;
  for (const ch of text) {
    if (/[\p{Script=Common}\p{Script=Inherited}]/u.test(ch) && !/\p{L}/u.test(ch)) continue;
    const scripts = new Set(SCRIPT_TESTS.filter(([, re]) => re.test(ch)).flatMap(([name]) => [name, ...(AUGMENT[name] ?? [])]));
    common = common ? new Set([...common].filter((x) => scripts.has(x))) : scripts;
    if (!common.size) return true;
  }
  return false;
}

export type UsernameProblem = 'username.invalid' | 'username.looks_like_person_code' | 'username.mixed_script';
export function checkUsername(username: string): UsernameProblem | undefined {
  const u = username.normalize('NFKC').trim();
  if (!USERNAME_PATTERN.test(u)) return 'username.invalid';
  if (isMixedScript(u)) return 'username.mixed_script';
  // Eight digits would collide with the person-code login.
  if (/^\d+$/.test(u)) return 'username.looks_like_person_code';
  return undefined;
}

export const CLAIMS_BY_SCOPE = {
  // `idp`: the institution (entityID) a federated account signs in with.
  openid: ['sub', 'person_code', 'user_type', 'idp'],
  profile: ['name', 'given_name', 'family_name', 'birthdate', 'preferred_username', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  // What a federated account's institution asserted (REFEDS R&S / AARC names, src/federation/attributes.ts).
  eduperson: ['eduperson_principal_name', 'eduperson_scoped_affiliation', 'eduperson_entitlement', 'eduperson_assurance', 'schac_home_organization', 'schac_personal_unique_code'],
} as const;

export function accountClaims(a: Account): Record<string, unknown> {
  return {
    sub: a.id,
    person_code: a.personCode,
    user_type: a.userType,
    name: `${a.givenName} ${a.familyName}`,
    given_name: a.givenName,
    family_name: a.familyName,
    birthdate: a.birthdate ?? undefined,
    preferred_username: a.username ?? a.personCode,
    locale: a.locale ?? undefined,
    updated_at: Math.floor((a.passwordChangedAt ?? a.activatedAt ?? a.createdAt) / 1000),
    email: a.email ?? undefined,
    email_verified: a.email ? a.emailVerified : undefined,
    phone_number: a.phone ?? undefined,
    phone_number_verified: a.phone ? false : undefined,
  };
}
