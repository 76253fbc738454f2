/** The English catalog (the reference): one file per area, merged. Keys are stable message IDs. */
import { access } from './access.js';
import { account } from './account.js';
import { core } from './core.js';
import { federation } from './federation.js';
import { mfa } from './mfa.js';
import { registration } from './registration.js';

export const en = { ...core, ...access, ...account, ...federation, ...mfa, ...registration } as const;
