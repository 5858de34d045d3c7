// Measures the redactor against the labeled corpus (test/fixtures/redaction/
// corpus.jsonl): per-entity precision and recall, and an end-to-end leak check
// (no labeled value may survive redactText). Prints a table and writes
// bench/results/redaction-accuracy.json. The unit test
// test/stages/redact/accuracy.test.ts runs the same evaluation.
//
//   node dist/scripts/redaction-eval.js [--verbose] [--corpus path]
//
// A labeled entity counts as found only if one detection of the same type
// covers all of it (a half-redacted card is a miss). A detection counts as
// correct if it overlaps a labeled entity of the same type.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createRedactor, defaultRedactConfig } from '../src/stages/redact';
import { BUILTIN_TYPES } from '../src/stages/redact/entities';
import { createScanner } from '../src/stages/redact/scan';

const ROOT = resolve(__dirname, '..', '..');
export const DEFAULT_CORPUS = resolve(ROOT, 'test/fixtures/redaction/corpus.jsonl');
export const RESULT_FILE = resolve(ROOT, 'bench/results/redaction-accuracy.json');

/** Types with a checksum or a fixed vendor shape: the target is recall 1.0. */
export const STRICT_TYPES = [
  'credit_card',
  'iban',
  'private_key',
  'jwt',
  'openai_api_key',
  'anthropic_api_key',
  'aws_access_key_id',
  'github_token',
  'slack_token',
  'stripe_key',
  'google_api_key',
];

export const TARGETS = { strictRecall: 1.0, overallRecall: 0.98, precision: 0.95 };

interface CorpusRow {
  id: string;
  lang: string;
  format: string;
  text: string;
  entities: Array<{ type: string; value: string }>;
}

export interface Score {
  support: number;
  detected: number;
  found: number;
  correct: number;
  recall: number;
  precision: number;
}

export interface Miss {
  id: string;
  type: string;
  kind: 'missed' | 'spurious' | 'leaked';
  /** Only with verbose: the synthetic text around it. */
  snippet?: string;
}

export interface EvalResult {
  corpus: { rows: number; negatives: number; entities: number };
  perEntity: Record<string, Score>;
  overall: Score;
  strict: Score;
  leaks: number;
  errors: Miss[];
  targets: typeof TARGETS;
  pass: boolean;
}

function score(support: number, detected: number, found: number, correct: number): Score {
  return {
    support,
    detected,
    found,
    correct,
    recall: support === 0 ? 1 : found / support,
    precision: detected === 0 ? 1 : correct / detected,
  };
}

export function loadCorpus(path = DEFAULT_CORPUS): CorpusRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CorpusRow);
}

export function evaluate(rows: CorpusRow[], options: { verbose?: boolean } = {}): EvalResult {
  const config = defaultRedactConfig();
  const scanner = createScanner(new Set(BUILTIN_TYPES.filter((t) => config.detectors[t])), []);
  // The end-to-end check uses the real redactor; the key only has to exist.
  const redactor = createRedactor(config, { [config.hmac_key_env]: 'redaction-eval-key-not-secret-0123456789' });
  const tally = new Map<string, { support: number; detected: number; found: number; correct: number }>();
  const t = (type: string) => {
    let v = tally.get(type);
    if (!v) tally.set(type, (v = { support: 0, detected: 0, found: 0, correct: 0 }));
    return v;
  };
  const errors: Miss[] = [];
  let leaks = 0;
  const snip = (text: string, start: number, end: number) =>
    options.verbose ? text.slice(Math.max(0, start - 30), Math.min(text.length, end + 30)).replace(/\n/g, '⏎') : undefined;

  for (const row of rows) {
    // Locate each labeled value; a value labeled twice takes successive occurrences.
    const expected: Array<{ type: string; start: number; end: number }> = [];
    const from = new Map<string, number>();
    for (const e of row.entities) {
      const start = row.text.indexOf(e.value, from.get(e.value) ?? 0);
      if (start < 0) throw new Error(`${row.id}: labeled value not found in text`);
      from.set(e.value, start + e.value.length);
      expected.push({ type: e.type, start, end: start + e.value.length });
    }
    const spans = scanner.detect(row.text);
    for (const e of expected) {
      t(e.type).support++;
      if (spans.some((s) => s.type === e.type && s.start <= e.start && s.end >= e.end)) t(e.type).found++;
      else errors.push({ id: row.id, type: e.type, kind: 'missed', snippet: snip(row.text, e.start, e.end) });
    }
    for (const s of spans) {
      t(s.type).detected++;
      if (expected.some((e) => e.type === s.type && e.start < s.end && s.start < e.end)) t(s.type).correct++;
      else errors.push({ id: row.id, type: s.type, kind: 'spurious', snippet: snip(row.text, s.start, s.end) });
    }
    const redacted = redactor.redactText(row.text).text;
    for (const e of row.entities) {
      if (redacted.includes(e.value)) {
        leaks++;
        errors.push({ id: row.id, type: e.type, kind: 'leaked' });
      }
    }
  }

  const perEntity: Record<string, Score> = {};
  const sum = { support: 0, detected: 0, found: 0, correct: 0 };
  const strictSum = { ...sum };
  for (const type of [...tally.keys()].sort()) {
    const v = tally.get(type)!;
    perEntity[type] = score(v.support, v.detected, v.found, v.correct);
    for (const acc of STRICT_TYPES.includes(type) ? [sum, strictSum] : [sum]) {
      acc.support += v.support;
      acc.detected += v.detected;
      acc.found += v.found;
      acc.correct += v.correct;
    }
  }
  const overall = score(sum.support, sum.detected, sum.found, sum.correct);
  const strict = score(strictSum.support, strictSum.detected, strictSum.found, strictSum.correct);
  const strictLeaks = errors.filter((e) => e.kind === 'leaked' && STRICT_TYPES.includes(e.type)).length;
  const pass =
    strict.recall >= TARGETS.strictRecall && overall.recall >= TARGETS.overallRecall && overall.precision >= TARGETS.precision && strictLeaks === 0;
  return {
    corpus: { rows: rows.length, negatives: rows.filter((r) => r.entities.length === 0).length, entities: sum.support },
    perEntity,
    overall,
    strict,
    leaks,
    errors,
    targets: TARGETS,
    pass,
  };
}

function printTable(r: EvalResult): void {
  const pct = (x: number) => (x * 100).toFixed(1).padStart(6);
  const line = (name: string, s: Score) =>
    `${name.padEnd(20)} ${String(s.support).padStart(7)} ${String(s.detected).padStart(8)} ${pct(s.precision)} ${pct(s.recall)}`;
  console.log(`corpus: ${r.corpus.rows} strings, ${r.corpus.negatives} without entities, ${r.corpus.entities} labeled entities\n`);
  console.log(`${'entity'.padEnd(20)} ${'labeled'.padStart(7)} ${'detected'.padStart(8)} ${'prec%'.padStart(6)} ${'recall%'.padStart(6)}`);
  for (const [type, s] of Object.entries(r.perEntity)) console.log(line(type, s));
  console.log('-'.repeat(52));
  console.log(line('checksummed/keys', r.strict));
  console.log(line('overall', r.overall));
  console.log(`\nleaks after redactText: ${r.leaks}`);
  for (const e of r.errors) console.log(`  ${e.kind.padEnd(8)} ${e.type.padEnd(18)} ${e.id}${e.snippet ? `  …${e.snippet}…` : ''}`);
  console.log(
    `\ntargets: recall ${TARGETS.strictRecall} on checksummed/key-shaped (and none leaked), ≥ ${TARGETS.overallRecall} overall; precision ≥ ${TARGETS.precision} → ${r.pass ? 'PASS' : 'FAIL'}`,
  );
}

export function main(argv: string[]): number {
  const verbose = argv.includes('--verbose');
  const ci = argv.indexOf('--corpus');
  const rows = loadCorpus(ci >= 0 ? argv[ci + 1] : DEFAULT_CORPUS);
  const result = evaluate(rows, { verbose });
  printTable(result);
  mkdirSync(dirname(RESULT_FILE), { recursive: true });
  // The file never carries snippets, only row ids and types.
  const errors = result.errors.map(({ id, type, kind }) => ({ id, type, kind }));
  writeFileSync(
    RESULT_FILE,
    JSON.stringify({ ...result, errors, measuredAt: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model }, null, 2) + '\n',
  );
  console.log(`wrote ${RESULT_FILE}`);
  return result.pass ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
