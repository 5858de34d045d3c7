// Schema evolution: ML teams' consumers are compiled against some version of
// schemas/*.avsc and must keep reading what the service writes. The frozen
// copies in test/fixtures/avro/v1/ are what v1 consumers have; this test fails
// when a change to schemas/ would break them (or break reading v1 data).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as avro from 'avsc';
import {
  annotationTaskToAvro,
  deadLetterToAvro,
  labeledRecordToAvro,
  loadSchemas,
  parseSchema,
  trainingExampleToAvro,
} from '../../../src/sinks/avro';
import * as fx from '../../fixtures/avro/records';
import { plain } from './helpers';

// Compiled to dist/test/sinks/avro/: four levels up is the package root.
const ROOT = join(__dirname, '..', '..', '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'avro');
const current = loadSchemas();
const v1 = loadSchemas(join(FIXTURES, 'v1'));

type Json = Record<string, unknown> & { fields: Record<string, unknown>[] };
const currentJson = (file: string): Json => JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')) as Json;

const samples = {
  labeled_interactions: () => labeledRecordToAvro(fx.fullLabeledRecord()),
  annotation_tasks: () => annotationTaskToAvro(fx.fullAnnotationTask()),
  training_examples: () => trainingExampleToAvro(fx.fullTrainingExample()),
  dead_letters: () => deadLetterToAvro(fx.fullDeadLetter()),
} as const;

/** Writes `value` with `writer` and reads it with `reader` through avsc's schema resolution. */
function resolveRead(writer: avro.Type, reader: avro.Type, value: unknown): Record<string, unknown> {
  const resolver = reader.createResolver(writer);
  return plain(reader.fromBuffer(writer.toBuffer(value), resolver)) as Record<string, unknown>;
}

describe('schema evolution', () => {
  for (const topic of Object.keys(samples) as (keyof typeof samples)[]) {
    it(`${topic}: a v1 reader reads data written with the current schema, and back`, () => {
      const value = samples[topic]();
      const readByV1 = resolveRead(current[topic].type, v1[topic].type, value);
      for (const f of (v1[topic].schema as Json).fields) {
        const name = f['name'] as string;
        assert.deepEqual(readByV1[name], plain((value as Record<string, unknown>)[name]), name);
      }
      const v1Value = v1[topic].type.fromBuffer(v1[topic].type.toBuffer(value));
      assert.doesNotThrow(() => resolveRead(v1[topic].type, current[topic].type, v1Value));
    });
  }

  it('adding an optional field with a default stays compatible both ways (top level and nested)', () => {
    const next = currentJson('labeled_interaction.avsc');
    next.fields.push({ name: 'tenant', type: ['null', 'string'], default: null, doc: 'added in v2' });
    const interaction = next.fields.find((f) => f['name'] === 'interaction')!;
    const nested = (interaction['type'] as [string, Json])[1];
    nested.fields.push({ name: 'agent_name', type: ['null', 'string'], default: null, doc: 'added in v2' });
    const v2 = parseSchema(next as never);

    // Old data, new reader: the new fields take their defaults.
    const old = labeledRecordToAvro(fx.fullLabeledRecord());
    const upgraded = resolveRead(v1.labeled_interactions.type, v2, old);
    assert.equal(upgraded['tenant'], null);
    assert.equal((upgraded['interaction'] as Record<string, unknown>)['agent_name'], null);
    assert.equal(upgraded['record_id'], old.record_id);

    // New data, old reader: the new fields are skipped.
    const newer = { ...old, tenant: 'acme', interaction: { ...old.interaction!, agent_name: 'planner' } };
    const downgraded = resolveRead(v2, v1.labeled_interactions.type, newer);
    assert.equal('tenant' in downgraded, false);
    assert.deepEqual(downgraded, plain(old));
  });

  it('adding a required field without a default is caught as incompatible', () => {
    const next = currentJson('labeled_interaction.avsc');
    next.fields.push({ name: 'tenant', type: 'string', doc: 'no default: old data cannot be read' });
    assert.throws(() => parseSchema(next as never).createResolver(v1.labeled_interactions.type), /tenant/);
  });

  it('reads a container file written with v1 (deflate) with the current schema', async () => {
    const records: Record<string, unknown>[] = [];
    await new Promise<void>((resolve, reject) => {
      avro
        .createFileDecoder(join(FIXTURES, 'labeled_interaction.v1.deflate.avro'), {
          readerSchema: current.labeled_interactions.type,
        })
        .on('data', (r: Record<string, unknown>) => records.push(plain(r) as Record<string, unknown>))
        .on('error', reject)
        .on('end', resolve);
    });
    assert.equal(records.length, 2);
    assert.equal(records[0]!['record_id'], 'rec-abc');
    assert.equal(records[0]!['first_seen_time'], Date.UTC(2026, 2, 14, 9, 26, 53, 589));
    const interaction = records[0]!['interaction'] as { params: { top_p: number }; output_messages: { parts: { content: string }[] }[] };
    assert.equal(interaction.params.top_p, 0.9);
    assert.equal(interaction.output_messages[0]!.parts[0]!.content, 'It is 21 °C.');
    assert.equal(records[1]!['interaction'], null);
  });

  it('defines shared records identically in every schema file', () => {
    // The .avsc files are self-contained (readers need no registry), so shared
    // records are repeated; they must not drift apart.
    const seen = new Map<string, string>();
    const walk = (t: avro.Type, file: string, visited: Set<string>): void => {
      if (t instanceof avro.types.RecordType) {
        if (visited.has(t.name!)) return;
        visited.add(t.name!);
        const canon = JSON.stringify(t.schema({ exportAttrs: true }));
        const prev = seen.get(t.name!);
        if (prev !== undefined) assert.equal(canon, prev, `${t.name} differs in ${file}`);
        seen.set(t.name!, canon);
        for (const f of t.fields) walk(f.type, file, visited);
      } else if (t instanceof avro.types.ArrayType) walk(t.itemsType, file, visited);
      else if (t instanceof avro.types.MapType) walk(t.valuesType as avro.Type, file, visited);
      else if (t instanceof avro.types.UnwrappedUnionType) for (const b of t.types) walk(b, file, visited);
    };
    for (const s of Object.values(current)) walk(s.type, s.name, new Set());
    assert.ok(seen.has('io.otelfeedbackloop.v1.Message') && seen.has('io.otelfeedbackloop.v1.Lineage'));
  });
});
