/** The Italian catalog: the same areas and keys as the English one (the types enforce it). */
import type { en } from '../en/index.js';
import { access } from './access.js';
import { account } from './account.js';
import { core } from './core.js';
import { federation } from './federation.js';
import { mfa } from './mfa.js';
import { registration } from './registration.js';

export const it: Record<keyof typeof en, string> = { ...core, ...access, ...account, ...federation, ...mfa, ...registration };
