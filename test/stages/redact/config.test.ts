import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, ConfigError } from '../../../src/config/load';
import { redactConfigSchema } from '../../../src/stages/redact';
import { BUILTIN_TYPES } from '../../../src/stages/redact/entities';

function problems(yaml: string): string[] {
  try {
    parseConfig(`sources:\n  otlp_http:\n    enabled: true\nsinks:\n  file:\n    enabled: true\n${yaml}`, 'test.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

test('defaults: every built-in detector on, placeholder, mask 4, hash identifiers', () => {
  const cfg = redactConfigSchema.parse(undefined);
  assert.equal(cfg.enabled, true);
  assert.equal(cfg.default_operator, 'placeholder');
  assert.equal(cfg.mask_keep_last, 4);
  assert.equal(cfg.identifier_operator, 'hash');
  assert.equal(cfg.allow_all_keys, true);
  for (const t of BUILTIN_TYPES) assert.equal(cfg.detectors[t], true, t);
  assert.ok(cfg.blocked_key_patterns.length > 0);
});

test('every key documents itself', () => {
  const shape = (redactConfigSchema as unknown as { def: { innerType: { def: { schema?: unknown; in?: unknown } } } }).def.innerType;
  // Unwrap prefault → pipe/refine → object, whatever zod calls the layers.
  let node: unknown = shape;
  for (let i = 0; i < 5 && node && !(node as { shape?: unknown }).shape; i++) {
    const def = (node as { def?: Record<string, unknown> }).def ?? {};
    node = def.innerType ?? def.schema ?? def.in;
  }
  const fields = (node as { shape: Record<string, { description?: string }> }).shape;
  assert.ok(fields, 'found the object schema');
  for (const [key, field] of Object.entries(fields)) assert.ok(field.description && /Default/.test(field.description), `${key} lacks a description with its default`);
});

test('validation names the key: patterns that do not compile or are not linear-safe', () => {
  const out = problems(
    [
      'redact:',
      '  custom_detectors:',
      '    - name: employee_id',
      '      pattern: "EMP-\\\\d{6}"',
      '    - name: bad',
      '      pattern: "(a)\\\\1"',
      '    - name: Bad Name',
      '      pattern: "(x"',
      '    - name: email',
      '      pattern: "x"',
      '  blocked_key_patterns: ["(?=secret)"]',
      '  allowed_values: ["[a-"]',
    ].join('\n'),
  );
  const joined = out.join('\n');
  assert.match(joined, /redact\.custom_detectors\[1\]\.pattern: pattern does not compile: backreferences are not supported/);
  assert.match(joined, /redact\.custom_detectors\[2\]\.name: must be snake_case/);
  assert.match(joined, /redact\.custom_detectors\[2\]\.pattern: pattern does not compile: missing "\)"/);
  assert.match(joined, /redact\.custom_detectors\[3\]\.name: "email" is a built-in detector/);
  assert.match(joined, /redact\.blocked_key_patterns\[0\]: blocked key pattern does not compile: lookaround/);
  assert.match(joined, /redact\.allowed_values\[0\]: allowed value pattern does not compile/);
  assert.ok(!joined.includes('custom_detectors[0]'), joined);
});

test('validation: operators for credentials, unknown types, unknown detectors, turning it off', () => {
  const out = problems(
    [
      'redact:',
      '  enabled: false',
      '  mask_keep_last: 99',
      '  operators: { email: hash, openai_api_key: mask, nonsense: drop, internal_token: hash }',
      '  detectors: { phone: false, fax: true }',
      '  custom_detectors:',
      '    - { name: internal_token, pattern: "itk_[a-z0-9]{20}", secret: true, operator: hash }',
    ].join('\n'),
  ).join('\n');
  assert.match(out, /redact\.enabled: redaction can only be turned off together with allow_unredacted: true/);
  assert.match(out, /redact\.mask_keep_last:/);
  assert.match(out, /redact\.operators\.openai_api_key: openai_api_key is a credential: only placeholder or drop/);
  assert.match(out, /redact\.operators\.nonsense: unknown entity type/);
  assert.match(out, /redact\.operators\.internal_token: internal_token is a credential/);
  assert.match(out, /redact\.custom_detectors\[0\]\.operator: a secret detector accepts only placeholder or drop/);
  assert.match(out, /redact\.detectors\.fax: unknown key/);
  assert.ok(!/operators\.email/.test(out));
});

test('a valid redact section passes', () => {
  assert.deepEqual(
    problems('redact:\n  operators: { email: hash, credit_card: mask }\n  custom_detectors:\n    - { name: employee_id, pattern: "\\\\bEMP-\\\\d{6}\\\\b", operator: hash }\n  detectors: { mac_address: false }'),
    [],
  );
});
