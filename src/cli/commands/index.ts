/** Every command, in the order `porta --help` lists them. */
import type { Command } from '../context.js';
import { accessCodesIssue, accessCodesList, accessCodesRevoke } from './access-codes.js';
import { auditCommand } from './audit.js';
import { backupCommand } from './backup.js';
import { clientsAdd, clientsList, clientsRemove, clientsRotateSecret, clientsShow, clientsUpdate } from './clients.js';
import { federationList, federationRotateSpKeys, federationShow, federationSpMetadata } from './federation.js';
import { keysList, keysRotate } from './keys.js';
import { migrateCommand } from './migrate.js';
import { purgeCommand } from './purge.js';
import {
  usersAdd, usersDelete, usersDisable, usersEnable, usersFind, usersList, usersResendActivation, usersResetTwoFactor, usersSetEmail, usersShow, usersUnlock,
} from './users.js';
import { usersExport, usersImport } from './users-transfer.js';

export const COMMANDS: readonly Command[] = [
  clientsAdd, clientsList, clientsShow, clientsUpdate, clientsRemove, clientsRotateSecret,
  usersAdd, usersList, usersFind, usersShow, usersSetEmail, usersResendActivation, usersDisable, usersEnable, usersUnlock, usersResetTwoFactor, usersDelete, usersImport, usersExport,
  accessCodesIssue, accessCodesList, accessCodesRevoke, purgeCommand, auditCommand,
  keysList, keysRotate, federationList, federationShow, federationRotateSpKeys, federationSpMetadata, migrateCommand, backupCommand,
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 'help [COMMAND]'.length);
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: porta <command> [options]

Manages a Porta installation: relying services, accounts and the helpdesk's tools, access codes,
the cancelling of unused accounts, the audit log, signing keys, the SAML SP keys and the database.

Commands:
${lines.join('\n')}
  ${'help [COMMAND]'.padEnd(width)}  Show this help, or a command's

Every command accepts --help and --json (one JSON document on stdout).
Configuration comes from the environment (DATABASE_URL, CLIENTS_FILE, ...) exactly as for the server.
Exit codes: 0 done, 1 unexpected failure, 2 bad input or configuration.
`;
}

/** Help for a group of commands (`porta clients --help`). */
export function groupUsage(group: string): string {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...members.map((c) => c.name.length));
  return `Usage: porta ${group} <${members.map((c) => c.name.split(' ')[1]).join('|')}> [options]

${members.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "porta ${group} <command> --help" for its options.
`;
}

export const groups = () => [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))];

/** The command named by the first words of argv, and the arguments after them. */
export function findCommand(argv: string[]): { command: Command; args: string[] } | undefined {
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, args: argv.slice(words.length) };
  }
  return undefined;
}
