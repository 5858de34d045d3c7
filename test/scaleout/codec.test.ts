import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { Partitioners } from 'kafkajs';
import { KeyPartitioner, WIRE_VERSION, decodeMessage, encodeMessage, joinKeyOf, spanKeyOf, type RepartitionMessage } from '../../src/scaleout/codec';
import { repartitionMessages } from '../../src/scaleout/repartition';
import { joinConfigSchema } from '../../src/stages/join/config';
import { PermanentError } from '../../src/pipeline/errors';
import { content, feedback, interaction, noRedaction } from '../helpers/events';

test('a message survives encode/decode, with its version byte first', () => {
  const i = interaction({ sessionId: 's-1' });
  const m: RepartitionMessage = { t: 'event', event: i, redaction: { policyVersion: 'v3', entities: { email: 2 }, keysRedacted: 1 } };
  const buf = encodeMessage(m);
  assert.equal(buf[0], WIRE_VERSION);
  assert.deepEqual(decodeMessage(buf), m);
  const alias: RepartitionMessage = { t: 'alias', spanKey: 'abc:def', requestId: 'chatcmpl-9' };
  assert.deepEqual(decodeMessage(encodeMessage(alias)), alias);
});

test('unknown versions, empty values, garbage and unknown types are refused as permanent errors', () => {
  const good = encodeMessage({ t: 'alias', spanKey: 'a:b', requestId: 'r' });
  const future = Buffer.from(good);
  future[0] = WIRE_VERSION + 1;
  assert.throws(() => decodeMessage(future), (e: unknown) => e instanceof PermanentError && /wire version 2/.test(e.message));
  assert.throws(() => decodeMessage(null), PermanentError);
  assert.throws(() => decodeMessage(Buffer.from([WIRE_VERSION])), PermanentError);
  assert.throws(() => decodeMessage(Buffer.from([WIRE_VERSION, 0xff, 0x00, 0x13])), PermanentError);
  const wrongType = Buffer.concat([Buffer.from([WIRE_VERSION]), serialize({ t: 'drop_table' })]);
  assert.throws(() => decodeMessage(wrongType), /unknown type/);
});

test('join keys: request id where known, span key where only the span is known', () => {
  const i = interaction({ requestId: 'chatcmpl-1', span: { traceId: 't1', spanId: 's1' } });
  assert.equal(joinKeyOf(i), 'chatcmpl-1');
  assert.equal(spanKeyOf(i), undefined);
  const c = content({ span: { traceId: 't1', spanId: 's1' } });
  assert.equal(joinKeyOf(c), 't1:s1');
  assert.equal(spanKeyOf(c), 't1:s1');
  const byId = feedback({ target: { requestId: 'chatcmpl-1', span: { traceId: 't1', spanId: 's1' } } });
  assert.equal(joinKeyOf(byId), 'chatcmpl-1');
  assert.equal(spanKeyOf(byId), undefined, 'a request id wins over the span');
  const bySpan = feedback({ target: { span: { traceId: 't1', spanId: 's1' } } });
  assert.equal(joinKeyOf(bySpan), 't1:s1');
  assert.equal(spanKeyOf(bySpan), 't1:s1');
  const none = feedback({ signalId: 'sig-x', target: {} });
  assert.equal(joinKeyOf(none), 'unresolved:sig-x');
});

test('an interaction travels with its alias (keyed by span) and its session entry (keyed by session)', () => {
  const p = new KeyPartitioner('t', 6);
  const config = joinConfigSchema.parse({});
  const i = interaction({ requestId: 'chatcmpl-7', span: { traceId: 'tt', spanId: 'ss' }, sessionId: 'sess-1' });
  const out = repartitionMessages({ event: i, redaction: noRedaction }, p, config);
  assert.deepEqual(
    out.map((o) => [o.type, o.message.key, o.message.partition]),
    [
      ['event', 'chatcmpl-7', p.partitionOf('chatcmpl-7')],
      ['alias', 'tt:ss', p.partitionOf('tt:ss')],
      ['session', 'sess-1', p.partitionOf('sess-1')],
    ],
  );
  // Request id equal to the span key (the span-context fallback): no alias needed.
  const self = interaction({ requestId: 'tt:ss', span: { traceId: 'tt', spanId: 'ss' } });
  assert.deepEqual(repartitionMessages({ event: self, redaction: noRedaction }, p, joinConfigSchema.parse({ implicit: { enabled: false } })).map((o) => o.type), ['event']);
});

test('the partitioner is the producer default (murmur2), deterministic, and spreads keys', () => {
  const p = new KeyPartitioner('t', 6);
  const kafkajs = Partitioners.DefaultPartitioner();
  const meta = Array.from({ length: 6 }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1] }));
  const counts = new Array(6).fill(0);
  for (let n = 0; n < 6000; n++) {
    const key = `chatcmpl-${n.toString(36)}`;
    const got = p.partitionOf(key);
    assert.equal(got, kafkajs({ topic: 'other', partitionMetadata: meta, message: { key, value: null } }));
    assert.equal(got, p.partitionOf(key));
    counts[got]++;
  }
  for (const c of counts) assert.ok(c > 800 && c < 1200, `even spread: ${counts.join(',')}`);
  // Java client reference values (Utils.toPositive(Utils.murmur2(key)) % 6), so keys land where any client puts them.
  for (const [key, partition] of JAVA_REFERENCE) assert.equal(p.partitionOf(key), partition, key);
});

/** Computed with org.apache.kafka.common.utils.Utils from the Kafka 4.4 jars: toPositive(murmur2(key.getBytes(UTF_8))) % 6. */
const JAVA_REFERENCE: Array<[string, number]> = [
  ['foo', 2],
  ['chatcmpl-1', 3],
  ['a:b', 3],
];
