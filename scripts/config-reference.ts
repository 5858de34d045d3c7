// Regenerates the configuration reference in README.md from the config schema.
//   node dist/scripts/config-reference.js          rewrite README.md
//   node dist/scripts/config-reference.js --check  exit 1 if README.md is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { withReference } from '../src/config/reference';

const file = resolve(__dirname, '..', '..', 'README.md');
const current = readFileSync(file, 'utf8');
const next = withReference(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    process.stderr.write('README.md config reference is stale: run `npm run docs:config`\n');
    process.exitCode = 1;
  }
} else if (next !== current) {
  writeFileSync(file, next);
  process.stdout.write('README.md config reference updated\n');
}
