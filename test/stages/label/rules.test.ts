import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createLabeler, labelConfigSchema, type LabelConfigInput } from '../../../src/stages/label';
import { PhraseMatcher, normalizeText } from '../../../src/stages/label/phrases';
import type { Interaction, Label, Message } from '../../../src/model';
import { interaction } from '../../helpers/events';
import { record } from './record';

function ruleLabels(i: Interaction, cfg: LabelConfigInput = {}): Label[] {
  const r = record(i);
  createLabeler(labelConfigSchema.parse(cfg)).label(r);
  return r.labels.filter((l) => l.source === 'rule');
}

const said = (rule: string, labels: Label[]): Label | undefined => labels.find((l) => l.derivedFrom.includes(`rule:${rule}`));
const answer = (text: string, finishReason = 'stop'): Message[] => [{ role: 'assistant', parts: [{ type: 'text', content: text }], finishReason }];
const ask = (text: string): Message[] => [{ role: 'user', parts: [{ type: 'text', content: text }] }];

describe('valid_json', () => {
  test('output type json and valid JSON → format_compliance true', () => {
    const l = said('valid_json', ruleLabels(interaction({ params: { outputType: 'json' }, outputMessages: answer('{"a": 1}') })));
    assert.deepEqual([l?.dimension, l?.value, l?.source, l?.confidence], ['format_compliance', true, 'rule', 1]);
  });

  test('output type json and prose → false', () => {
    const l = said('valid_json', ruleLabels(interaction({ params: { outputType: 'json' }, outputMessages: answer('Sure! Here is the JSON: {"a": 1}') })));
    assert.equal(l?.value, false);
  });

  test('a system instruction asking for JSON counts; a fenced block is accepted', () => {
    const i = interaction({
      systemInstructions: [{ type: 'text', content: 'You are a classifier. Respond  ONLY with JSON, no prose.' }],
      outputMessages: answer('```json\n{"label": "spam"}\n```'),
    });
    assert.equal(said('valid_json', ruleLabels(i))?.value, true);
    assert.equal(said('valid_json', ruleLabels(i, { rules: { valid_json: { allow_code_fence: false } } }))?.value, false);
  });

  test('the last user message asking for JSON counts', () => {
    const i = interaction({ inputMessages: ask('List three colors. Return only JSON.'), outputMessages: answer('["red","green"') });
    assert.equal(said('valid_json', ruleLabels(i))?.value, false);
  });

  test('merely mentioning JSON does not', () => {
    const i = interaction({ inputMessages: ask('Why is {"a":1,} not valid JSON?'), outputMessages: answer('Trailing commas are not allowed.') });
    assert.equal(said('valid_json', ruleLabels(i)), undefined);
  });

  test('instruction detection can be turned off', () => {
    const i = interaction({ inputMessages: ask('Respond in JSON.'), outputMessages: answer('no') });
    assert.equal(said('valid_json', ruleLabels(i, { rules: { valid_json: { detect_instructions: false } } })), undefined);
  });
});

describe('truncated', () => {
  for (const reason of ['length', 'max_tokens', 'MAX_TOKENS']) {
    test(`finish reason ${reason} → completeness false`, () => {
      const l = said('truncated', ruleLabels(interaction({ finishReasons: [reason], outputMessages: answer('The three steps are: 1. Open') })));
      assert.deepEqual([l?.dimension, l?.value], ['completeness', false]);
    });
  }
  test('stop → no label', () => {
    assert.equal(said('truncated', ruleLabels(interaction())), undefined);
  });
  test('a message-level finish reason counts too', () => {
    assert.equal(said('truncated', ruleLabels(interaction({ finishReasons: [], outputMessages: answer('partial', 'length') })))?.value, false);
  });
});

describe('refusal', () => {
  test('an opening refusal → completeness false, moderate confidence', () => {
    const l = said('refusal', ruleLabels(interaction({ outputMessages: answer('I’m sorry, but I can’t help with that request.') })));
    assert.deepEqual([l?.dimension, l?.value, l?.confidence], ['completeness', false, 0.6]);
  });
  test('an answer is not a refusal', () => {
    assert.equal(said('refusal', ruleLabels(interaction({ outputMessages: answer('Open settings and choose reset.') }))), undefined);
  });
  test('a phrase far into a long answer is not a refusal', () => {
    const text = 'Here is how to do it. '.repeat(40) + 'I cannot help with the billing part.';
    assert.equal(said('refusal', ruleLabels(interaction({ outputMessages: answer(text) }))), undefined);
  });
  test('custom phrases', () => {
    const i = interaction({ outputMessages: answer('Das kann ich leider nicht beantworten.') });
    assert.equal(said('refusal', ruleLabels(i, { rules: { refusal: { phrases: ['kann ich leider nicht'] } } }))?.value, false);
  });
});

describe('empty_output', () => {
  test('blank text → completeness false', () => {
    assert.equal(said('empty_output', ruleLabels(interaction({ outputMessages: answer('   ') })))?.value, false);
  });
  test('no content captured is not empty', () => {
    assert.equal(said('empty_output', ruleLabels(interaction({ outputMessages: [] }))), undefined);
  });
  test('no content captured and zero output tokens is empty', () => {
    assert.equal(said('empty_output', ruleLabels(interaction({ outputMessages: [], usage: { outputTokens: 0 } })))?.value, false);
  });
  test('a tool-call-only answer is not empty', () => {
    const i = interaction({ outputMessages: [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }] }] });
    assert.equal(said('empty_output', ruleLabels(i)), undefined);
  });
});

describe('tool_call_json', () => {
  const calls = (...args: string[]): Interaction =>
    interaction({ outputMessages: [{ role: 'assistant', parts: args.map((a, k) => ({ type: 'tool_call' as const, id: `c${k}`, name: 'lookup', arguments: a })) }] });
  test('all arguments parse → format_compliance true', () => {
    assert.equal(said('tool_call_json', ruleLabels(calls('{"q":"x"}', '')))?.value, true);
  });
  test('one broken argument string → false', () => {
    assert.equal(said('tool_call_json', ruleLabels(calls('{"q":"x"}', '{"q": ')))?.value, false);
  });
  test('no tool calls → no label', () => {
    assert.equal(said('tool_call_json', ruleLabels(interaction())), undefined);
  });
});

test('each rule can be disabled', () => {
  const i = interaction({ params: { outputType: 'json' }, finishReasons: ['length'], outputMessages: answer("I can't help with that") });
  assert.ok(ruleLabels(i).length >= 3);
  const off = { enabled: false };
  assert.deepEqual(
    ruleLabels(i, { rules: { valid_json: off, truncated: off, refusal: off, empty_output: off, tool_call_json: off } }),
    [],
  );
});

describe('PhraseMatcher (Aho–Corasick)', () => {
  test('finds phrases that share prefixes and suffixes', () => {
    const m = new PhraseMatcher(['he', 'she', 'his', 'hers']);
    assert.equal(m.test('ushers'), true);
    assert.equal(m.test('ahishe'), true);
    assert.equal(m.test('xyz'), false);
    assert.equal(new PhraseMatcher(['abcd', 'bc']).test('xabcx'), true);
  });
  test('normalization: case, apostrophes, whitespace, limit', () => {
    assert.equal(normalizeText('I\u2019M\n\tSorry', 6), "i'm s");
  });
  test('linear time on adversarial input', () => {
    const m = new PhraseMatcher(['a'.repeat(50) + 'b']);
    const start = process.hrtime.bigint();
    assert.equal(m.test('a'.repeat(200_000)), false);
    assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 500);
  });
});
