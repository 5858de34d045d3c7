// Runs the test suite with node's built-in runner over the compiled tests.
//   node test/run.mjs            unit tests, then the real-component infra
//                                (Kafka, collector, schema registry: built or
//                                downloaded into ~/.cache/otel-feedback-loop on
//                                first use), then integration tests
//   node test/run.mjs --unit     unit tests only
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const root = new URL('../dist/test/', import.meta.url).pathname;
const integrationDir = join(root, 'integration');

function testFiles(dir, skip) {
  const files = [];
  (function walk(d) {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (p !== skip) walk(p);
      } else if (name.endsWith('.test.js')) files.push(p);
    }
  })(dir);
  return files;
}

function run(label, args) {
  process.stdout.write(`\n### ${label}\n`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  return r.status ?? 1;
}

const unit = testFiles(root, integrationDir);
const integration = unitOnly ? [] : testFiles(integrationDir);
let status = 0;
if (!unitOnly) {
  // Download/build the real components first, as one visible step, so their
  // time is not charged to the first integration test's timeout.
  status = run('preparing Kafka, the OpenTelemetry Collector and the schema registry (cached)', [
    join(root, 'infra', 'cli.js'),
    'prepare',
  ]);
  if (status !== 0) {
    process.stderr.write('infra preparation failed; see above\n');
    process.exit(status);
  }
}
// One runner invocation so the closing summary counts every test.
status = run(`running ${unit.length} unit and ${integration.length} integration test files`, [
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=1',
  ...unit,
  ...integration,
]);
process.exit(status);
