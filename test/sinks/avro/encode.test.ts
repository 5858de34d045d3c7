import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord, defaultSchemas, encodeRecord, labeledRecordToAvro } from '../../../src/sinks/avro';
import { PermanentError } from '../../../src/pipeline/errors';
import * as fx from '../../fixtures/avro/records';
import { plain } from './helpers';

// encodeRecord is how every record enters the outbox: encoded once, validated
// first, into a reused scratch buffer that grows with the largest record.

describe('encodeRecord', () => {
  const schemas = defaultSchemas();

  it('gives the same bytes as avsc toBuffer, for small records and for ones far past the scratch buffer', () => {
    for (const chars of [10, 3000, 70_000, 300_000, 50]) {
      const rec = fx.fullLabeledRecord();
      rec.interaction!.outputMessages = [{ role: 'assistant', parts: [{ type: 'text', content: 'é'.repeat(chars) }] }];
      const value = labeledRecordToAvro(rec);
      const bytes = encodeRecord('labeled_interactions', value);
      assert.deepEqual(bytes, schemas.labeled_interactions.type.toBuffer(value), `${chars} chars`);
      assert.deepEqual(plain(decodeRecord('labeled_interactions', bytes)), plain(value));
    }
  });

  it('returns a buffer of its own: a later encode does not overwrite an earlier result', () => {
    const a = encodeRecord('labeled_interactions', labeledRecordToAvro({ ...fx.fullLabeledRecord(), recordId: 'first' }));
    const copy = Buffer.from(a);
    encodeRecord('labeled_interactions', labeledRecordToAvro({ ...fx.fullLabeledRecord(), recordId: 'second' }));
    assert.deepEqual(a, copy);
  });

  it('refuses a value that does not match its schema, naming the paths and not the values', () => {
    const value = { ...labeledRecordToAvro(fx.fullLabeledRecord()), request_id: 424242, version: 'secret-text' };
    assert.throws(
      () => encodeRecord('labeled_interactions', value),
      (err: Error) => err instanceof PermanentError && /request_id/.test(err.message) && /version/.test(err.message) && !/424242|secret-text/.test(err.message),
    );
  });
});
