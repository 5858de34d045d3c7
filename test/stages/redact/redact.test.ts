import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, FeedbackLoopError } from '../../../src/pipeline/errors';
import type { ContentFragment, FeedbackSignal, Interaction, PipelineEvent } from '../../../src/model';
import { createRedactor, defaultRedactConfig } from '../../../src/stages/redact';
import { fake, KEY, KEY_ENV, OTHER_KEY, redactor, sampleInteraction } from './helpers';

const asInteraction = (e: PipelineEvent) => e as Interaction;
const text = (i: Interaction, m: number, p = 0, list: 'inputMessages' | 'outputMessages' = 'inputMessages') =>
  (i[list][m]!.parts[p] as { content: string }).content;

test('placeholders are numbered per event: the same value keeps its number across fields', () => {
  const { event, summary } = redactor().redact(sampleInteraction());
  const out = asInteraction(event);
  assert.equal(
    text(out, 0),
    'I am <EMAIL_1>, card <CREDIT_CARD_1>, phone <PHONE_1>. Again: <EMAIL_1>',
  );
  assert.equal(text(out, 0, 0, 'outputMessages'), 'User <EMAIL_1> wants a refund.');
  assert.equal(out.systemInstructions[0]!.type === 'text' && out.systemInstructions[0]!.content, 'You are a support agent. Escalate to <EMAIL_2>.');
  assert.equal(out.conversationId, 'thread of <EMAIL_1>');
  // A second event starts numbering again.
  const again = asInteraction(redactor().redact(sampleInteraction({ systemInstructions: [] })).event);
  assert.equal(text(again, 0), 'I am <EMAIL_1>, card <CREDIT_CARD_1>, phone <PHONE_1>. Again: <EMAIL_1>');
  assert.ok((summary.entities.email ?? 0) >= 5);
});

test('hash operator: keyed, stable across instances, different under another key', () => {
  const cfg = { operators: { email: 'hash' as const } };
  const a = redactor(cfg).redactText('write to jane@example.com').text;
  const b = redactor(cfg).redactText('JANE@example.com said').text;
  const c = redactor(cfg, OTHER_KEY).redactText('write to jane@example.com').text;
  const m = /<EMAIL:([0-9a-f]{16})>/.exec(a);
  assert.ok(m, a);
  assert.ok(b.includes(`<EMAIL:${m[1]}>`), 'same address (case-insensitive) → same pseudonym across instances');
  assert.ok(!c.includes(m[1]!), 'another key → another pseudonym');
  assert.ok(!a.includes('jane'));
});

test('mask keeps the last N characters and the separators; drop removes', () => {
  const r = redactor({ operators: { credit_card: 'mask', phone: 'drop' }, mask_keep_last: 4 });
  assert.equal(r.redactText('card 4111-1111-1111-1111 ok').text, 'card ****-****-****-1111 ok');
  assert.equal(r.redactText('call +44 20 7946 0958 now').text, 'call  now');
  const r2 = redactor({ operators: { credit_card: 'mask' }, mask_keep_last: 0 });
  assert.equal(r2.redactText('4111 1111 1111 1111').text, '**** **** **** ****');
});

test('credentials are never hashed or partly kept, whatever default_operator says', () => {
  const key = fake.openai();
  const r = redactor({ default_operator: 'mask' });
  const out = r.redactText(`key ${key} and mail jane@example.com`).text;
  assert.equal(out, 'key <OPENAI_API_KEY_1> and mail ****@*******.com');
  const h = redactor({ default_operator: 'hash' }).redactText(`password=Hunter22x and ${key}`).text;
  assert.equal(h, 'password=<SECRET_1> and <OPENAI_API_KEY_1>');
  assert.throws(
    () => redactor({ operators: { openai_api_key: 'hash' } }),
    (e: unknown) => e instanceof FeedbackLoopError && e.code === ERROR_CODES.CONFIG_INVALID && /operators\.openai_api_key/.test(e.message),
  );
});

test('structure is preserved: message and part counts and types, ids, join keys; JSON stays JSON', () => {
  const input = sampleInteraction();
  const out = asInteraction(redactor().redact(input).event);
  assert.equal(out.requestId, input.requestId);
  assert.equal(out.responseId, input.responseId);
  assert.deepEqual(out.span, input.span);
  assert.deepEqual(out.finishReasons, input.finishReasons);
  assert.deepEqual(out.params, input.params);
  assert.deepEqual(out.usage, input.usage);
  for (const list of ['inputMessages', 'outputMessages'] as const) {
    assert.equal(out[list].length, input[list].length);
    out[list].forEach((m, i) => {
      assert.equal(m.role, input[list][i]!.role);
      assert.deepEqual(m.parts.map((p) => p.type), input[list][i]!.parts.map((p) => p.type));
    });
  }
  const call = out.outputMessages[0]!.parts[1]!;
  assert.equal(call.type, 'tool_call');
  if (call.type !== 'tool_call') return;
  assert.equal(call.id, 'call_1');
  assert.equal(call.name, 'refund');
  const args = JSON.parse(call.arguments) as Record<string, unknown>;
  assert.deepEqual(args, { email: '<EMAIL_1>', iban: '<IBAN_1>', amount: 49.99, notes: null });
  const resp = out.outputMessages[1]!.parts[0]!;
  assert.ok(resp.type === 'tool_call_response' && JSON.parse(resp.response).contact === '<EMAIL_2>');
});

test('JSON: numbers that are PII become strings, blocked keys are masked whole, formatting is kept', () => {
  const r = redactor();
  const src = '{\n  "card": 4111111111111111,\n  "password": {"a": [1, "x"]},\n  "api_key": "k",\n  "ok": true,\n  "n": 12\n}';
  const out = r.redactText(src).text;
  assert.deepEqual(JSON.parse(out), { card: '<CREDIT_CARD_1>', password: '****', api_key: '****', ok: true, n: 12 });
  assert.ok(out.startsWith('{\n  "card": '), 'whitespace kept');
  // Not JSON: scanned as text, left as it was otherwise.
  assert.equal(r.redactText('{"broken": "jane@example.com"').text, '{"broken": "<EMAIL_1>"');
});

test('the input event is not mutated', () => {
  const input = sampleInteraction();
  const before = JSON.stringify(input);
  const { event } = redactor().redact(input);
  assert.equal(JSON.stringify(input), before);
  assert.notEqual(event, input);
});

test('identifiers are pseudonymized with the keyed HMAC, stable across instances', () => {
  const a = asInteraction(redactor().redact(sampleInteraction()).event);
  const b = asInteraction(redactor().redact(sampleInteraction()).event);
  const c = asInteraction(redactor({}, OTHER_KEY).redact(sampleInteraction()).event);
  assert.match(a.userId!, /^[0-9a-f]{32}$/);
  assert.match(a.sessionId!, /^[0-9a-f]{32}$/);
  assert.notEqual(a.userId, 'user-8812');
  assert.equal(a.userId, b.userId);
  assert.equal(a.userId, redactor().pseudonymize('user-8812'));
  assert.notEqual(a.userId, c.userId);
  const dropped = asInteraction(redactor({ identifier_operator: 'drop' }).redact(sampleInteraction()).event);
  assert.equal('userId' in dropped, false);
  assert.equal('sessionId' in dropped, false);
});

test('feedback: text, reason and label redacted, actor pseudonymized, target untouched', () => {
  const fb: FeedbackSignal = {
    kind: 'feedback',
    signalId: 'sig-1',
    target: { requestId: 'chatcmpl-1', span: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) } },
    feedbackKind: 'correction',
    reason: 'wrong number, mine is +44 20 7946 0958',
    label: 'contact jane@example.com',
    text: 'Call +44 20 7946 0958 or jane@example.com',
    source: 'user',
    actor: 'jane@example.com',
    observedTimeMs: 1,
  };
  const { event, summary } = redactor().redact(fb);
  const out = event as FeedbackSignal;
  assert.deepEqual(out.target, fb.target);
  assert.equal(out.text, 'Call <PHONE_1> or <EMAIL_1>');
  assert.equal(out.reason, 'wrong number, mine is <PHONE_1>');
  assert.equal(out.label, 'contact <EMAIL_1>');
  assert.equal(out.actor, redactor().pseudonymize('jane@example.com'));
  assert.deepEqual(summary.entities, { phone: 2, email: 2 });
  const plain = redactor().redact({ ...fb, reason: 'wrong', label: undefined, text: undefined }).event as FeedbackSignal;
  assert.equal(plain.reason, 'wrong');
});

test('content fragments are redacted like interactions', () => {
  const frag: ContentFragment = {
    kind: 'content',
    span: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) },
    timeMs: 1,
    dialect: 'otel_genai_1_36',
    systemInstructions: [],
    inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'ssn 123-45-6789' }] }],
    outputMessages: [],
    sequence: 3,
  };
  const out = redactor().redact(frag).event as ContentFragment;
  assert.equal((out.inputMessages[0]!.parts[0] as { content: string }).content, 'ssn <US_SSN_1>');
  assert.equal(out.sequence, 3);
});

test('key rules on extra: ignored, blocked, allow-list, allowed values', () => {
  const extra = {
    'app.customer_note': 'call me on +44 20 7946 0958',
    'http.request.header.authorization': 'Bearer abc',
    'app.debug_dump': 'jane@example.com',
    'app.region': 'eu-west-1',
  };
  const base = redactor({ ignored_keys: ['app.debug_dump'] }).redact(sampleInteraction({ extra }));
  const out = asInteraction(base.event).extra;
  assert.equal(out['app.customer_note'], 'call me on <PHONE_1>');
  assert.equal(out['http.request.header.authorization'], '****');
  assert.equal(out['app.debug_dump'], 'jane@example.com', 'ignored keys pass untouched');
  assert.equal(base.summary.keysRedacted, 1);

  const allow = redactor({ allow_all_keys: false, allowed_keys: ['app.region'] }).redact(sampleInteraction({ extra }));
  assert.deepEqual(asInteraction(allow.event).extra, { 'app.region': 'eu-west-1' });
  assert.equal(allow.summary.keysRedacted, 3);

  const blocked = redactor({ blocked_key_patterns: ['(?i)note'] }).redact(sampleInteraction({ extra }));
  assert.equal(asInteraction(blocked.event).extra['app.customer_note'], '****');

  const values = redactor({ allowed_values: ['.+@example\\.com'] }).redactText('write jane@example.com or bob@example.org');
  assert.equal(values.text, 'write jane@example.com or <EMAIL_1>');
  assert.deepEqual(values.entities, { email: 1 });
});

test('the summary carries counts and the policy version, never a value', () => {
  const input = sampleInteraction();
  const { summary } = redactor({ policy_version: 'pii-2024-06' }).redact(input);
  assert.equal(summary.policyVersion, 'pii-2024-06');
  assert.deepEqual(Object.keys(summary).sort(), ['entities', 'keysRedacted', 'policyVersion']);
  const json = JSON.stringify(summary);
  for (const secret of ['jane', 'example', '4111', '7946', 'WEST', 'user-8812']) assert.ok(!json.includes(secret), secret);
  for (const v of Object.values(summary.entities)) assert.equal(typeof v, 'number');
});

test('unknown fields are redacted, not passed through', () => {
  const input = { ...sampleInteraction(), futureField: { note: 'mail jane@example.com', n: 3 } } as Interaction;
  const out = redactor().redact(input).event as unknown as { futureField: { note: string; n: number } };
  assert.deepEqual(out.futureField, { note: 'mail <EMAIL_1>', n: 3 });
  const part = { type: 'image_url', url: 'https://x/a.png?user=jane@example.com' } as unknown as Interaction['inputMessages'][number]['parts'][number];
  const withPart = redactor().redact(sampleInteraction({ inputMessages: [{ role: 'user', parts: [part] }] })).event as Interaction;
  const redactedPart = withPart.inputMessages[0]!.parts[0] as unknown as { type: string; url: string };
  assert.equal(redactedPart.type, 'image_url');
  assert.match(redactedPart.url, /^https:\/\/x\/a\.png\?user=<EMAIL_\d+>$/);
});

test('fail closed: malformed events and internal errors throw REDACTION_FAILED without content', () => {
  const r = redactor();
  const bad = [
    { ...sampleInteraction(), inputMessages: 'jane@example.com' },
    { ...sampleInteraction(), inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 42 }] }] },
    { ...sampleInteraction(), userId: { id: 'jane@example.com' } },
    { kind: 'mystery', text: 'jane@example.com' },
    null,
  ];
  for (const ev of bad) {
    assert.throws(
      () => r.redact(ev as unknown as PipelineEvent),
      (e: unknown) => e instanceof FeedbackLoopError && e.code === ERROR_CODES.REDACTION_FAILED && !e.message.includes('jane') && e.cause === undefined,
    );
  }
  // An error inside a detector (simulated by a getter that throws) also fails the event.
  const trap = sampleInteraction();
  Object.defineProperty(trap.inputMessages[0]!.parts[0]!, 'content', { get: () => { throw new TypeError('jane@example.com'); }, enumerable: true });
  assert.throws(
    () => r.redact(trap),
    (e: unknown) => e instanceof FeedbackLoopError && e.code === ERROR_CODES.REDACTION_FAILED && !e.message.includes('jane'),
  );
});

test('createRedactor: the HMAC key is required when pseudonyms are, and must be long enough', () => {
  const cfg = defaultRedactConfig();
  assert.throws(
    () => createRedactor(cfg, {}),
    (e: unknown) => e instanceof FeedbackLoopError && e.code === ERROR_CODES.CONFIG_INVALID && e.message.includes(KEY_ENV),
  );
  assert.throws(() => createRedactor(cfg, { [KEY_ENV]: 'short' }), /shorter than 32/);
  // Not required when nothing hashes; pseudonymize then refuses rather than inventing an unkeyed hash.
  const noHash = createRedactor({ ...cfg, identifier_operator: 'drop' }, {});
  assert.equal(noHash.redactText('jane@example.com').text, '<EMAIL_1>');
  assert.throws(() => noHash.pseudonymize('x'), (e: unknown) => e instanceof FeedbackLoopError && e.code === ERROR_CODES.REDACTION_FAILED);
  assert.ok(createRedactor(cfg, { [KEY_ENV]: KEY }));
});

test('disabled only with allow_unredacted, and then says so in the summary', () => {
  assert.throws(() => createRedactor({ ...defaultRedactConfig(), enabled: false }, {}), /allow_unredacted/);
  const r = createRedactor({ ...defaultRedactConfig(), enabled: false, allow_unredacted: true }, {});
  const { event, summary } = r.redact(sampleInteraction());
  assert.equal(summary.policyVersion, 'unredacted');
  assert.equal(text(asInteraction(event), 0).includes('jane.doe@example.com'), true);
});

test('regression: a custom detector may be named like an Object.prototype member', () => {
  // Counts and operators were looked up as plain object keys: "constructor" found Object.prototype's,
  // so the placeholder became "undefined" and the summary count a string.
  const r = redactor({
    custom_detectors: [{ name: 'constructor', pattern: 'EMP-\\d{3}', validator: 'none', case_insensitive: false, secret: false }],
  });
  const out = r.redactText('ids EMP-123 and EMP-456, EMP-123 again');
  assert.equal(out.text, 'ids <CONSTRUCTOR_1> and <CONSTRUCTOR_2>, <CONSTRUCTOR_1> again');
  assert.deepEqual(out.entities, { constructor: 3 });
  const masked = redactor({
    operators: { tostring: 'mask' },
    custom_detectors: [{ name: 'tostring', pattern: 'EMP-\\d{3}', validator: 'none', case_insensitive: false, secret: false }],
  });
  assert.equal(masked.redactText('EMP-123').text, '***-123');
});

test('regression: a part type named like an Object.prototype member is an unknown type, redacted as such', () => {
  for (const type of ['constructor', 'toString', '__proto__']) {
    const part = { type, content: 'mail jane@example.com' } as unknown as Interaction['inputMessages'][number]['parts'][number];
    const out = redactor().redact(sampleInteraction({ inputMessages: [{ role: 'user', parts: [part] }] })).event as Interaction;
    const redacted = out.inputMessages[0]!.parts[0] as unknown as { type: string; content: string };
    assert.equal(redacted.type, type);
    assert.match(redacted.content, /^mail <EMAIL_\d+>$/, type);
  }
});

test('regression: an error in a message name names the message, not just "name"', () => {
  const bad = sampleInteraction({ inputMessages: [{ role: 'user', name: 5 as unknown as string, parts: [] }] });
  assert.throws(
    () => redactor().redact(bad),
    (e: unknown) => e instanceof FeedbackLoopError && /at inputMessages\[0\]\.name: inputMessages\[0\]\.name is not a string/.test(e.message),
  );
});
