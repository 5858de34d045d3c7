import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../../src/telemetry/metrics';
import { createNormalizeStage, defaultNormalizeConfig, NORMALIZE_TYPE, normalizeConfigSchema } from '../../../src/stages/normalize';
import { mkSpan, tracesOf, logsOf, mkLog } from './helpers';

describe('normalize config', () => {
  it('has documented defaults', () => {
    const c = defaultNormalizeConfig();
    assert.deepEqual(c.request_id_attributes, ['gen_ai.response.id']);
    assert.ok(c.user_id_attributes.includes('user.id'));
    assert.ok(c.session_id_attributes.includes('gen_ai.conversation.id'));
    assert.deepEqual(c.keep_attributes, []);
    assert.deepEqual(c.skip_operations, ['execute_tool', 'create_agent']);
  });

  it('rejects unknown keys and empty attribute names', () => {
    assert.equal(normalizeConfigSchema.safeParse({ request_id_atributes: ['x'] }).success, false);
    assert.equal(normalizeConfigSchema.safeParse({ keep_attributes: [''] }).success, false);
  });
});

describe('createNormalizeStage', () => {
  it('reports received, emitted and dropped on the component counters', async () => {
    const metrics = new Metrics();
    const stage = createNormalizeStage(defaultNormalizeConfig(), metrics);
    const r = stage.traces(tracesOf([mkSpan({ 'gen_ai.provider.name': 'openai' }), mkSpan({ 'http.route': '/' })]));
    assert.equal(r.events.length, 1);
    stage.logs(logsOf([mkLog({ 'feedback.kind': 'bogus', 'feedback.request_id': 'r' })]));
    const labels = { component: NORMALIZE_TYPE };
    assert.equal(await metrics.value('feedback_loop_component_received_items_total', labels), 3);
    assert.equal(await metrics.value('feedback_loop_component_emitted_items_total', labels), 1);
    assert.equal(await metrics.value('feedback_loop_component_dropped_items_total', { ...labels, reason: 'not_genai' }), 1);
    assert.equal(await metrics.value('feedback_loop_component_dropped_items_total', { ...labels, reason: 'invalid_feedback' }), 1);
  });

  it('without metrics is the bare normalizer', () => {
    const stage = createNormalizeStage(defaultNormalizeConfig());
    assert.equal(stage.traces(tracesOf([mkSpan({ 'gen_ai.system': 'openai' })])).events.length, 1);
  });
});
