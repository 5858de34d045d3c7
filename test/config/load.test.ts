import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, defaultConfig, loadConfig, parseConfig } from '../../src/config';

const CONFIG_DIR = resolve(__dirname, '..', '..', '..', 'config');

test('an empty file means the built-in defaults', () => {
  const c = defaultConfig();
  assert.equal(c.sources.otlp_http.endpoint, '127.0.0.1:4318');
  assert.equal(c.join.window, 24 * 3600 * 1000);
  assert.equal(c.join.mode, 'final');
  assert.equal(c.sinks.file.enabled, true);
});

test('every problem is reported at once, each with its YAML path and line', () => {
  const yaml = [
    'sources:',
    '  otlp_http:',
    '    enabled: false',
    '    endpoint: nowhere',
    '    bogus: 1',
    'join:',
    '  window: 5 parsecs',
    '  mode: later',
    'sinks:',
    '  file:',
    '    roll_bytes: 12',
    'surprise: true',
  ].join('\n');
  let err: unknown;
  try {
    parseConfig(yaml, 'bad.yaml', {});
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  const byPath = new Map(err.problems.map((p) => [p.path, p]));
  assert.deepEqual(
    [...byPath.keys()].sort(),
    ['join.mode', 'join.window', 'sinks.file.roll_bytes', 'sources', 'sources.otlp_http.bogus', 'sources.otlp_http.endpoint', 'surprise'].sort(),
  );
  assert.equal(byPath.get('sources.otlp_http.bogus')!.message, 'unknown key');
  assert.equal(byPath.get('sources.otlp_http.bogus')!.line, 5);
  assert.equal(byPath.get('join.window')!.line, 7);
  assert.match(err.message, /bad\.yaml: 7 problems/);
});

test('cross-field rules are reported together with per-key problems', () => {
  assert.throws(
    () => parseConfig('sources:\n  otlp_http:\n    enabled: false\njoin:\n  mode: later\n', 'x.yaml', {}),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.path === 'sources') && e.problems.some((p) => p.path === 'join.mode'),
  );
});

test('secrets and settings come from the environment: ${env:NAME}, ${NAME}, ${NAME:-default}', () => {
  const c = parseConfig('service:\n  data_dir: ${env:DATA}/x\nsinks:\n  file:\n    directory: ${OUT:-/tmp/out}\n', 'x.yaml', { DATA: '/var/lib/fl' });
  assert.equal(c.service.data_dir, '/var/lib/fl/x');
  assert.equal(c.sinks.file.directory, '/tmp/out');
  assert.throws(
    () => parseConfig('service:\n  data_dir: ${env:MISSING_VAR}\n', 'x.yaml', {}),
    (e: unknown) => e instanceof ConfigError && e.problems[0]!.path === 'service.data_dir' && /MISSING_VAR is not set/.test(e.problems[0]!.message),
  );
});

test('YAML syntax errors and duplicate keys are config errors, not crashes', () => {
  assert.throws(() => parseConfig('join:\n  window: 1h\n  window: 2h\n', 'dup.yaml', {}), ConfigError);
  assert.throws(() => parseConfig('join: [unclosed\n', 'syntax.yaml', {}), ConfigError);
});

test('every shipped config file under config/ validates', () => {
  const files = readdirSync(CONFIG_DIR, { recursive: true }).map(String).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('default.yaml'));
  for (const f of files) loadConfig(resolve(CONFIG_DIR, f), { KAFKA_BROKERS: '127.0.0.1:9092', FEEDBACK_LOOP_HMAC_KEY: 'k'.repeat(40) });
});
