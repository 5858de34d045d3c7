// Runs the test suite with node's built-in runner over the compiled tests.
// Usage: node test/run.mjs [--unit]   (--unit skips test/integration)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const root = new URL('../dist/test/', import.meta.url).pathname;
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (unitOnly && p === join(root, 'integration')) continue;
      walk(p);
    } else if (name.endsWith('.test.js')) files.push(p);
  }
})(root);
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
