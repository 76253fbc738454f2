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

export type UsernameProblem = 'username.invalid' | 'username.looks_like_person_code';
export function checkUsername(username: string): UsernameProblem | undefined {
  const u = username.normalize('NFKC').trim();
  if (!USERNAME_PATTERN.test(u)) return 'username.invalid';
  // Eight digits would collide with the person-code login.
  if (/^\d+$/.test(u)) return 'username.looks_like_person_code';
  return undefined;
}

export const CLAIMS_BY_SCOPE = {
  openid: ['sub', 'person_code', 'user_type'],
  profile: ['name', 'given_name', 'family_name', 'birthdate', 'preferred_username', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
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
