import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configReferenceMarkdown, withReference } from '../../src/config/reference';

test('every config key appears in the generated reference with its description', () => {
  const md = configReferenceMarkdown();
  for (const key of ['sources.otlp_http.endpoint', 'join.window', 'join.mode', 'sinks.file.roll_interval', 'redact.hmac_key_env']) {
    assert.match(md, new RegExp(`\\| \`${key.replace(/\./g, '\\.')}\` \\|`), key);
  }
  assert.match(md, /How long a window stays open after its last event/);
});

test('README.md carries the current config reference (run `npm run docs:config` after changing a config schema)', () => {
  const readme = readFileSync(resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  assert.equal(withReference(readme), readme);
});
