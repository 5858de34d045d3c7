import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as avro from 'avsc';
import {
  annotationTaskToAvro,
  deadLetterToAvro,
  labeledRecordToAvro,
  loadSchemas,
  trainingExampleToAvro,
} from '../../../src/sinks/avro';
import type { Topic } from '../../../src/pipeline/contracts';
import { PermanentError } from '../../../src/pipeline/errors';
import * as fx from '../../fixtures/avro/records';
import { allFields, filledFields, plain, problems } from './helpers';

const schemas = loadSchemas();

function roundTrip(type: avro.Type, value: unknown): unknown {
  return plain(type.fromBuffer(type.toBuffer(value)));
}

const cases: { name: string; topic: Topic; full: () => unknown; minimal: () => unknown }[] = [
  {
    name: 'labeledRecordToAvro',
    topic: 'labeled_interactions',
    full: () => labeledRecordToAvro(fx.fullLabeledRecord()),
    minimal: () => labeledRecordToAvro(fx.minimalLabeledRecord()),
  },
  {
    name: 'annotationTaskToAvro',
    topic: 'annotation_tasks',
    full: () => annotationTaskToAvro(fx.fullAnnotationTask()),
    minimal: () => annotationTaskToAvro(fx.minimalAnnotationTask()),
  },
  {
    name: 'trainingExampleToAvro',
    topic: 'training_examples',
    full: () => trainingExampleToAvro(fx.fullTrainingExample()),
    minimal: () => trainingExampleToAvro(fx.minimalTrainingExample()),
  },
  {
    name: 'deadLetterToAvro',
    topic: 'dead_letters',
    full: () => deadLetterToAvro(fx.fullDeadLetter()),
    minimal: () => deadLetterToAvro(fx.minimalDeadLetter()),
  },
];

describe('model → Avro conversion', () => {
  for (const c of cases) {
    describe(c.name, () => {
      const { type } = schemas[c.topic];
      it('a fully populated value validates and survives a binary round trip', () => {
        const v = c.full();
        assert.deepEqual(problems(type, v), []);
        assert.deepEqual(roundTrip(type, v), v);
      });
      it('the full fixture fills every field of every record in the schema', () => {
        // Proves the converter maps every schema field (nothing left null by omission).
        const missing = [...allFields(type)].filter((f) => !filledFields(type, c.full()).has(f));
        assert.deepEqual(missing, []);
      });
      it('a minimal value validates and survives a binary round trip', () => {
        const v = c.minimal();
        assert.deepEqual(problems(type, v), []);
        assert.deepEqual(roundTrip(type, v), v);
      });
    });
  }

  it('maps a LabeledRecord field by field', () => {
    const r = fx.fullLabeledRecord();
    const v = labeledRecordToAvro(r);
    assert.equal(v.record_id, 'rec-abc');
    assert.equal(v.request_id, 'chatcmpl-123');
    assert.equal(v.version, 2);
    assert.equal(v.final, true);
    assert.equal(v.close_reason, 'window_expired');
    assert.equal(v.quality_score, 0.15);
    assert.deepEqual(v.redaction, { policy_version: 'v3', entities: { location: 2, email: 1 }, keys_redacted: 3 });
    assert.deepEqual(v.sampling, { probability: 0.25, policy: 'keep-negative', routes: ['annotation', 'training'] });
    assert.equal(v.first_seen_time, fx.T0);
    assert.equal(v.emitted_time, fx.T0 + 86_400_000);
    assert.equal(v.orphan_reason, 'interaction_never_arrived');
    const i = v.interaction!;
    assert.equal(i.trace_id, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(i.span_id, 'b7ad6b7169203331');
    assert.equal(i.parent_span_id, '00f067aa0ba902b7');
    assert.equal(i.response_model, 'gpt-4o-2024-08-06');
    assert.equal(i.user_id, 'u_5f1c0ffee');
    assert.deepEqual(i.params, {
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      max_tokens: 512,
      frequency_penalty: 0.1,
      presence_penalty: -0.5,
      seed: 1234,
      stop_sequences: ['\n\n', 'END'],
      choice_count: 1,
      output_type: 'text',
    });
    assert.deepEqual(i.usage, {
      input_tokens: 100,
      output_tokens: 20,
      total_tokens: 120,
      cache_read_input_tokens: 64,
      cache_creation_input_tokens: 8,
      reasoning_tokens: 5,
    });
    assert.equal(i.start_time, fx.T0);
    assert.equal(i.end_time, fx.T0 + 1250);
    assert.equal(i.latency_ms, 1250.5);
    assert.equal(i.time_to_first_chunk_ms, 310.25);
    assert.deepEqual(i.resource, { service_name: 'weather-app', service_version: '1.4.2', environment: 'prod' });
    assert.deepEqual(i.extra, { 'app.feature': 'forecast', 'app.tenant': 'acme' });
    assert.deepEqual(i.system_instructions.map((p) => [p.type, p.content]), [['text', 'You are a weather assistant.']]);
    assert.deepEqual(i.input_messages[1], {
      role: 'assistant',
      name: null,
      finish_reason: 'tool_calls',
      parts: [
        { type: 'reasoning', content: 'Need the weather tool.', id: null, name: null, arguments: null, response: null, original_type: null },
        { type: 'tool_call', content: null, id: 'call_1', name: 'get_weather', arguments: '{"city":"<LOCATION>"}', response: null, original_type: null },
      ],
    });
    assert.deepEqual(i.input_messages[2]!.parts[0], {
      type: 'tool_call_response', content: null, id: 'call_1', name: null, arguments: null, response: '{"temp_c":21}', original_type: null,
    });
    assert.deepEqual(i.input_messages[3]!.parts[0], {
      type: 'other', content: 'https://example.test/map.png', id: null, name: null, arguments: null, response: null, original_type: 'uri',
    });
    assert.deepEqual(v.feedback[0], {
      signal_id: 'sig-1',
      feedback_kind: 'correction',
      target_request_id: 'chatcmpl-123',
      target_trace_id: '0af7651916cd43dd8448eb211c80319c',
      target_span_id: 'b7ad6b7169203331',
      value: 0,
      label: 'rejected',
      reason: 'outdated',
      text: 'It is 19 °C.',
      name: 'user_correction',
      source: 'user',
      actor: 'u_5f1c0ffee',
      observed_time: fx.T0 + 60_000,
    });
    assert.deepEqual(v.labels[0], {
      dimension: 'factual_accuracy',
      value: false,
      score: 0.1,
      source: 'user',
      confidence: 0.9,
      criterion: 'The answer states the current temperature correctly.',
      derived_from: ['sig-1'],
    });
  });

  it('writes absent optional fields as null and empty collections as empty', () => {
    const v = labeledRecordToAvro(fx.minimalLabeledRecord());
    assert.equal(v.interaction, null);
    assert.equal(v.sampling, null);
    assert.equal(v.quality_score, null);
    assert.equal(v.orphan_reason, null);
    const withInteraction = labeledRecordToAvro({ ...fx.minimalLabeledRecord(), interaction: fx.minimalInteraction() });
    assert.deepEqual(problems(schemas.labeled_interactions.type, withInteraction), []);
    const i = withInteraction.interaction!;
    assert.equal(i.provider, null);
    assert.deepEqual(i.params.stop_sequences, []);
    assert.equal(i.usage.input_tokens, null);
    assert.deepEqual(i.extra, {});
  });

  it('maps preference pairs and sft examples (rejected is null for sft)', () => {
    const pref = trainingExampleToAvro(fx.fullTrainingExample());
    assert.equal(pref.kind, 'preference');
    assert.equal(pref.split, 'eval');
    assert.equal(pref.chosen[0]!.parts[0]!.content, 'It is 19 °C.');
    assert.equal(pref.rejected![0]!.parts[0]!.content, 'It is 21 °C.');
    assert.equal(pref.lineage.prompt_version, '7');
    assert.equal(trainingExampleToAvro(fx.minimalTrainingExample()).rejected, null);
  });

  it('maps annotation tasks with their questions', () => {
    const t = annotationTaskToAvro(fx.fullAnnotationTask());
    assert.equal(t.priority, 0);
    assert.equal(t.priority_reason, 'negative_with_reason');
    assert.deepEqual(t.questions[1], { dimension: 'tone_style', question: 'Rate the tone from 1 to 5.', answer_type: 'score' });
    assert.equal(t.inclusion_probability, 0.5);
    assert.equal(t.created_time, fx.T0 + 5);
  });

  it('keeps dead-letter payload bytes exactly', () => {
    const { type } = schemas.dead_letters;
    const back = roundTrip(type, deadLetterToAvro(fx.fullDeadLetter())) as { payload: Buffer };
    assert.deepEqual([...back.payload], [0x0a, 0xff, 0x07, 0x00]);
  });

  it('fits numbers to their Avro types: fractional longs truncated, non-finite optionals null', () => {
    const r = fx.fullLabeledRecord();
    r.interaction!.usage.inputTokens = 10.7;
    r.interaction!.params.temperature = Number.NaN;
    r.interaction!.startTimeMs = fx.T0 + 0.9;
    r.qualityScore = Number.POSITIVE_INFINITY;
    const v = labeledRecordToAvro(r);
    assert.equal(v.interaction!.usage.input_tokens, 10);
    assert.equal(v.interaction!.params.temperature, null);
    assert.equal(v.interaction!.start_time, fx.T0);
    assert.equal(v.quality_score, null);
    assert.deepEqual(problems(schemas.labeled_interactions.type, v), []);
  });

  it('refuses a required field that cannot be represented, naming the field and not the content', () => {
    const r = fx.fullLabeledRecord();
    r.emittedMs = Number.NaN;
    assert.throws(
      () => labeledRecordToAvro(r),
      (err: unknown) => err instanceof PermanentError && err.code === 'schema_incompatible' && /emitted_time/.test(err.message),
    );
    const t = fx.fullAnnotationTask();
    t.priority = 2 ** 40;
    assert.throws(() => annotationTaskToAvro(t), /priority must be a 32-bit integer/);
    const secret = fx.fullLabeledRecord();
    (secret.interaction as unknown as { span: { traceId: unknown } }).span.traceId = 42;
    assert.throws(() => labeledRecordToAvro(secret), (err: unknown) => err instanceof Error && !err.message.includes('42'));
  });
});
