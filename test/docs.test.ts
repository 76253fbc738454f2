/** The README stays true: its configuration reference is exactly what config/schema.ts generates. */
import { readFileSync } from 'node:fs';
import { settings } from '../config/schema.js';
import { configSection, END_MARKER, renderConfigTable, START_MARKER } from '../scripts/config-reference.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  test(`has the configuration reference between ${START_MARKER} and ${END_MARKER}`, () => {
    expect(configSection(readme)).toBeDefined();
  });

  test('configuration reference equals the table generated from config/schema.ts (fix: npm run docs:config -- --write)', () => {
    expect(configSection(readme)).toBe(renderConfigTable());
  });

  test('names every environment variable in the schema', () => {
    const missing = Object.values(settings).map((s) => s.env).filter((env) => !readme.includes(env));
    expect(missing).toEqual([]);
  });

  test('names PORTA_CONFIG, the config file variable that is not a setting', () => {
    expect(readme).toContain('PORTA_CONFIG');
  });
});
