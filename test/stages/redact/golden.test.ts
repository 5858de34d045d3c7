// Golden detections: 1,500 generated texts dense in near-misses (golden.ts),
// with the detections and redactText outputs recorded before the prescan
// rewrite (golden-detections.json). A speed-up must not move a single
// detection; a change in what is detected must re-record the file on purpose
// (see golden.ts) and show up in review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILTIN_TYPES } from '../../../src/stages/redact/entities';
import { createScanner } from '../../../src/stages/redact/scan';
import { goldenTexts } from './golden';
import { redactor } from './helpers';

const FILE = resolve(__dirname, '..', '..', '..', '..', 'test/stages/redact/golden-detections.json');

interface Golden {
  count: number;
  /** Per text: "start,end,type" joined by ";". */
  detections: string[];
  /** SHA-256 over every redactText output (text and entities), per config below. */
  redactTextSha256: Record<string, string>;
}

/** The configs whose redactText outputs are recorded: the defaults, and one using custom detectors, allowed values and every operator. */
function configs(): Record<string, ReturnType<typeof redactor>> {
  return {
    default: redactor(),
    custom: redactor({
      custom_detectors: [
        { name: 'emp', pattern: '\\bEMP-\\d{6}\\b', validator: 'none', case_insensitive: false, secret: false },
        { name: 'acct', pattern: '\\b\\d{12,19}\\b', validator: 'luhn', case_insensitive: false, secret: false },
        { name: 'itk', pattern: 'itk_[a-z0-9]{8}', validator: 'none', case_insensitive: true, secret: true },
      ],
      allowed_values: ['.+@example\\.com'],
      operators: { email: 'hash', credit_card: 'mask', phone: 'drop' },
    }),
  };
}

function record(texts: string[]): Golden {
  const scanner = createScanner(new Set(BUILTIN_TYPES), []);
  const detections = texts.map((t) =>
    scanner
      .detect(t)
      .map((s) => `${s.start},${s.end},${s.type}`)
      .join(';'),
  );
  const redactTextSha256: Record<string, string> = {};
  for (const [name, r] of Object.entries(configs())) {
    const h = createHash('sha256');
    for (const t of texts) h.update(JSON.stringify(r.redactText(t))).update('\n');
    redactTextSha256[name] = h.digest('hex');
  }
  return { count: texts.length, detections, redactTextSha256 };
}

test('golden detections: the same spans and redactText outputs as recorded', () => {
  const texts = goldenTexts();
  const now = record(texts);
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(FILE, JSON.stringify(now, null, 1) + '\n');
    return;
  }
  const golden = JSON.parse(readFileSync(FILE, 'utf8')) as Golden;
  assert.equal(now.count, golden.count);
  for (let i = 0; i < texts.length; i++) {
    assert.equal(now.detections[i], golden.detections[i], `text ${i}: ${JSON.stringify(texts[i]!.slice(0, 200))}`);
  }
  assert.ok(
    golden.detections.filter((d) => d !== '').length > texts.length / 2,
    'most golden texts have detections (the generator still exercises the detectors)',
  );
  assert.deepEqual(now.redactTextSha256, golden.redactTextSha256);
});
