/**
 * Password rules after NIST SP 800-63B: length 10–128, not a common password, not containing the
 * username or the email's local part. No composition rules. Each broken rule has its own message.
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import type { MessageKey } from '../i18n/index.js';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

// ~49,000 common passwords from @zxcvbn-ts/language-common (MIT), compared ignoring case.
const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

export const commonPasswordCount = () => COMMON.size;

export function passwordProblems(password: string, context: { username?: string | null; email?: string | null } = {}): MessageKey[] {
  const problems: MessageKey[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN) problems.push('password.too_short');
  if (length > PASSWORD_MAX) problems.push('password.too_long');
  const lower = password.normalize('NFKC').toLowerCase();
  if (COMMON.has(lower)) problems.push('password.common');
  const username = context.username?.normalize('NFKC').trim().toLowerCase();
  if (username && username.length >= 3 && lower.includes(username)) problems.push('password.contains_username');
  const local = context.email?.normalize('NFKC').trim().toLowerCase().split('@')[0];
  if (local && local.length >= 3 && lower.includes(local)) problems.push('password.contains_email');
  return problems;
}
