/**
 * The configuration reference, generated from config/schema.ts: a Markdown table of every setting.
 *
 *   npm run docs:config              prints the table
 *   npm run docs:config -- --write   replaces the table in README.md (between the config markers)
 *
 * test/docs.test.ts fails when the README's table differs from what this prints.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEVELOPMENT_COOKIE_KEYS, settings } from '../config/schema.js';

export const START_MARKER = '<!-- config:start -->';
export const END_MARKER = '<!-- config:end -->';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (text: string) => '`' + text + '`';

/**
 * Secret settings (DATABASE_URL, SMTP_URL, KEYS_ENCRYPTION_SECRET) default to harmless values that are
 * shown as they are; the one default that is itself a secret, the cookie keys, is named, not printed.
 */
function renderDefault(value: unknown): string {
  if (value === DEVELOPMENT_COOKIE_KEYS) return 'development keys';
  if (value === undefined) return '*(unset)*';
  if (value === '') return '*(empty)*';
  if (Array.isArray(value)) return code(value.join(','));
  return code(String(value));
}

/** The Markdown table: environment variable, config file key, default, description. */
export function renderConfigTable(): string {
  const rows = Object.entries(settings).map(([name, s]) => `| ${code(s.env)} | ${code(name)} | ${cell(renderDefault(s.default))} | ${cell(s.doc)} |`);
  return ['| Environment variable | Config file key | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The text between the markers in a README, or undefined when the markers are missing. */
export function configSection(readme: string): string | undefined {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + START_MARKER.length, end).trim();
}

/** The README with the table between the markers replaced by `table`. */
export function replaceConfigSection(readme: string, table: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`README.md needs ${START_MARKER} and ${END_MARKER}`);
  return `${readme.slice(0, start + START_MARKER.length)}\n${table}\n${readme.slice(end)}`;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const table = renderConfigTable();
  if (process.argv.includes('--write')) {
    const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
    writeFileSync(readmePath, replaceConfigSection(readFileSync(readmePath, 'utf8'), table));
    process.stderr.write(`updated the configuration reference in ${readmePath}\n`);
  } else {
    process.stdout.write(table + '\n');
  }
}
