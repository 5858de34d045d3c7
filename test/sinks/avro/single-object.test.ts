import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileSchema,
  crc64Avro,
  decodeSingleObject,
  encodeSingleObject,
  labeledRecordToAvro,
  loadSchemas,
  singleObjectFingerprint,
  type SchemaSet,
} from '../../../src/sinks/avro';
import { TOPICS } from '../../../src/pipeline/contracts';
import { PermanentError } from '../../../src/pipeline/errors';
import * as fx from '../../fixtures/avro/records';
import { plain } from './helpers';

// Vectors from the Avro project's share/test/data/schema-tests.txt: input
// schema, its Parsing Canonical Form, and its CRC-64-AVRO fingerprint as a
// signed 64-bit integer (Java long).
const SPEC_VECTORS: { input: unknown; canonical: string; fingerprint: bigint }[] = [
  { input: 'null', canonical: '"null"', fingerprint: 7195948357588979594n },
  { input: 'int', canonical: '"int"', fingerprint: 8247732601305521295n },
  { input: { type: 'string' }, canonical: '"string"', fingerprint: -8142146995180207161n },
  { input: ['int', { type: 'boolean' }], canonical: '["int","boolean"]', fingerprint: 5392556393470105090n },
  {
    input: { fields: [], type: 'record', name: 'foo', namespace: 'x.y' },
    canonical: '{"name":"x.y.foo","type":"record","fields":[]}',
    fingerprint: 5916914534497305771n,
  },
  {
    input: {
      fields: [
        { type: 'boolean', aliases: [], name: 'f1', default: true },
        { order: 'descending', name: 'f2', doc: 'Hello', type: 'int' },
      ],
      type: 'record',
      name: 'foo',
    },
    canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    fingerprint: -4860222112080293046n,
  },
  {
    input: { namespace: 'x.y.z', type: 'enum', name: 'foo', doc: 'foo bar', symbols: ['A1', 'A2'] },
    canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    fingerprint: -4448647247586288245n,
  },
  {
    input: { namespace: 'x.y.z', type: 'fixed', name: 'foo', doc: 'foo bar', size: 32 },
    canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}',
    fingerprint: -3064184465700546786n,
  },
  { input: { items: { type: 'null' }, type: 'array' }, canonical: '{"type":"array","items":"null"}', fingerprint: -589620603366471059n },
  { input: { values: 'string', type: 'map' }, canonical: '{"type":"map","values":"string"}', fingerprint: -8732877298790414990n },
  {
    input: { name: 'PigValue', type: 'record', fields: [{ name: 'value', type: ['null', 'int', 'long', 'PigValue'] }] },
    canonical: '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: -1759257747318642341n,
  },
];

const schemas = loadSchemas();

describe('schema fingerprints (CRC-64-AVRO over the Parsing Canonical Form)', () => {
  for (const v of SPEC_VECTORS) {
    it(`matches the spec vector for ${v.canonical.slice(0, 40)}`, () => {
      const compiled = compileSchema(v.input as never);
      assert.equal(compiled.canonicalForm, v.canonical);
      assert.equal(BigInt.asIntN(64, crc64Avro(Buffer.from(v.canonical))), v.fingerprint);
      assert.equal(compiled.fingerprint.readBigInt64LE(), v.fingerprint);
    });
  }

  it('ignores docs and defaults: the fingerprint identifies what matters for parsing', () => {
    const base = JSON.parse(schemas.dead_letters.schemaJson) as { doc: string; fields: { doc: string }[] };
    base.doc = 'reworded';
    base.fields[0]!.doc = 'reworded too';
    assert.ok(compileSchema(base as never).fingerprint.equals(schemas.dead_letters.fingerprint));
  });

  it('gives every schema its own fingerprint; topics that share a schema share it', () => {
    assert.ok(schemas.orphaned_feedback.fingerprint.equals(schemas.labeled_interactions.fingerprint));
    const distinct = new Set(TOPICS.map((t) => schemas[t].fingerprint.toString('hex')));
    assert.equal(distinct.size, 4);
  });
});

describe('single-object encoding', () => {
  it('produces C3 01, the fingerprint little-endian, then the binary value (spec example: "int")', () => {
    // The spec's single-object header for schema "int" is C3 01 8F 5C 39 3F 1A D5 75 72.
    const intSchema = { topic: 'dead_letters' as const, ...compileSchema('int') };
    const set = { ...schemas, dead_letters: intSchema } as SchemaSet;
    const buf = encodeSingleObject('dead_letters', 1, set);
    assert.equal(buf.toString('hex'), 'c3018f5c393f1ad57572' + '02'); // 1 zig-zags to 0x02
  });

  it('round-trips a labeled interaction and finds the schema by fingerprint', () => {
    const value = labeledRecordToAvro(fx.fullLabeledRecord());
    const buf = encodeSingleObject('labeled_interactions', value, schemas);
    assert.deepEqual([...buf.subarray(0, 2)], [0xc3, 0x01]);
    assert.ok(singleObjectFingerprint(buf)!.equals(schemas.labeled_interactions.fingerprint));
    assert.ok(buf.subarray(10).equals(schemas.labeled_interactions.type.toBuffer(value)));
    const back = decodeSingleObject(buf, schemas);
    assert.equal(back.schema.name, 'io.otelfeedbackloop.v1.LabeledInteraction');
    assert.deepEqual(plain(back.value), value);
  });

  it('refuses a value that does not match, naming paths but not values', () => {
    const value = { ...labeledRecordToAvro(fx.fullLabeledRecord()), version: 'secret-ish' };
    assert.throws(
      () => encodeSingleObject('labeled_interactions', value, schemas),
      (err: unknown) => err instanceof PermanentError && /version/.test(err.message) && !err.message.includes('secret-ish'),
    );
  });

  it('refuses bytes that are not single-object messages or use an unknown schema', () => {
    assert.equal(singleObjectFingerprint(Buffer.from([0xc3, 0x01, 1, 2])), undefined);
    assert.throws(() => decodeSingleObject(Buffer.from('not avro at all'), schemas), /not an Avro single-object/);
    const unknown = Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 0xab), Buffer.from([0])]);
    assert.throws(() => decodeSingleObject(unknown, schemas), /unknown schema fingerprint abababababababab/);
  });
});
