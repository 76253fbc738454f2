#!/usr/bin/env node
// The `porta` command. Runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('porta: the CLI is not built yet; run `npm run build` first\n');
  process.exit(1);
}
await import(cli.href);
