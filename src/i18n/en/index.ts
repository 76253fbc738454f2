/** The English catalog (the reference): one file per area, merged. Keys are stable message IDs. */
import { core } from './core.js';
import { registration } from './registration.js';

export const en = { ...core, ...registration } as const;
