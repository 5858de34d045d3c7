import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FeedbackSignal } from '../../../src/model';
import { feedbackValue } from '../../../src/stages/normalize';
import { interactions, logsFixture, mkLog, mkSpan, logsOf, normalizer, only, signals, tracesFixture, tracesOf } from './helpers';

// Explicit feedback in every form the normalizer accepts: the feedback.*
// convention as a span, a log record and a span event; gen_ai.evaluation.result
// as a span event and as a log record, with and without gen_ai.response.id.

/** Everything but the id, which has its own tests. */
function withoutId(s: FeedbackSignal): Omit<FeedbackSignal, 'signalId'> {
  const { signalId: _id, ...rest } = s;
  return rest;
}

describe('feedback.* spans and span events', () => {
  const r = normalizer().traces(tracesFixture('feedback', 'feedback-spans.json'));
  const [thumbs, correction, copy, edit] = signals(r.events);

  it('counts what it drops: an unknown kind, and feedback with nothing to point at', () => {
    assert.equal(r.received, 5);
    assert.deepEqual(r.dropped, { invalid_feedback: 1, feedback_without_target: 1 });
    assert.equal(signals(r.events).length, 4);
  });

  it('a feedback span is a signal, not an interaction; the chat span carrying events still is one', () => {
    const chat = only(interactions(r.events));
    assert.equal(chat.requestId, 'chatcmpl-Ed1t');
  });

  it('span targeted by feedback.request_id; boolean value → 0; actor from user.id', () => {
    assert.ok(thumbs);
    assert.deepEqual(withoutId(thumbs), {
      kind: 'feedback',
      target: { requestId: 'chatcmpl-C3xHh0Y2Wz' },
      feedbackKind: 'thumbs',
      source: 'user',
      observedTimeMs: 1_768_471_200_100,
      value: 0,
      reason: 'wrong',
      actor: 'u-4821',
    });
  });

  it('span targeted by its first link; text, label, source and actor as given', () => {
    assert.ok(correction);
    assert.deepEqual(withoutId(correction), {
      kind: 'feedback',
      target: { span: { traceId: '22222222222222222222222222222222', spanId: 'b000000000000001' } },
      feedbackKind: 'correction',
      source: 'expert',
      observedTimeMs: 1_768_471_200_200,
      label: 'factual_error',
      reason: 'outdated',
      text: 'Order A-1042 arrives Thursday, not Friday.',
      actor: 'reviewer-12',
    });
  });

  it('span event without a request id targets the span carrying it; with one, the named request', () => {
    assert.ok(copy && edit);
    assert.deepEqual(copy.target, { span: { traceId: '22222222222222222222222222222222', spanId: 'b000000000000001' } });
    assert.equal(copy.feedbackKind, 'copy');
    assert.equal(copy.actor, 'u-5');
    assert.deepEqual(edit.target, { requestId: 'chatcmpl-Prev1' });
    assert.equal(edit.feedbackKind, 'edit');
    assert.equal(edit.text, 'Thanks — the order ships Thursday.');
    assert.equal(edit.value, 0.82);
  });
});

describe('feedback.* log records', () => {
  const r = normalizer().logs(logsFixture('feedback', 'feedback-logs.json'));
  const [rating, accept, outcome] = signals(r.events);

  it('reads eventName "feedback" and bare feedback.kind records; drops the untargeted and the invalid', () => {
    assert.equal(r.received, 5);
    assert.deepEqual(r.dropped, { feedback_without_target: 1, invalid_feedback: 1 });
    assert.equal(signals(r.events).length, 3);
  });

  it('maps each attribute', () => {
    assert.ok(rating && accept && outcome);
    assert.deepEqual(withoutId(rating), {
      kind: 'feedback',
      target: { requestId: 'chatcmpl-R4t1ng' },
      feedbackKind: 'rating',
      source: 'expert',
      observedTimeMs: 1_768_471_201_000,
      value: 4,
      reason: 'incomplete',
      actor: 'reviewer-3',
    });
    assert.deepEqual(withoutId(accept), {
      kind: 'feedback',
      target: { requestId: 'chatcmpl-Acc3pt' },
      feedbackKind: 'accept',
      source: 'user',
      observedTimeMs: 1_768_471_201_100,
      value: 1,
      actor: 'u-77',
    });
    assert.equal(outcome.feedbackKind, 'task_outcome');
    assert.equal(outcome.value, 1, '"yes" → 1');
    assert.equal(outcome.label, 'resolved');
    assert.equal(outcome.source, 'system');
  });

  it('does not fall back to the log record\'s own span: it belongs to whatever handled the click', () => {
    const r2 = normalizer().logs(
      logsOf([mkLog({ 'feedback.kind': 'thumbs', 'feedback.value': 1 }, { eventName: 'feedback', traceId: 'cd'.repeat(16), spanId: 'ef'.repeat(8) })]),
    );
    assert.deepEqual(r2.events, []);
    assert.deepEqual(r2.dropped, { feedback_without_target: 1 });
  });
});

describe('gen_ai.evaluation.result', () => {
  it('as span events: target the span, or the gen_ai.response.id the event names', () => {
    const r = normalizer().traces(tracesFixture('feedback', 'evaluation-span-events.json'));
    const [relevance, groundedness] = signals(r.events);
    assert.ok(relevance && groundedness);
    assert.equal(only(interactions(r.events)).requestId, 'chatcmpl-Ev4l');
    assert.deepEqual(withoutId(relevance), {
      kind: 'feedback',
      target: { span: { traceId: '44444444444444444444444444444444', spanId: 'd000000000000001' } },
      feedbackKind: 'evaluation',
      source: 'judge',
      observedTimeMs: 1_768_471_201_500,
      name: 'Relevance',
      value: 4,
      label: 'relevant',
      reason: 'Answers the question asked.',
    });
    assert.deepEqual(groundedness.target, { requestId: 'chatcmpl-Other7' });
    assert.equal(groundedness.value, 0);
    assert.equal(groundedness.label, 'fail');
  });

  it('as log records: target the trace/span ids, or gen_ai.response.id when present; neither → dropped', () => {
    const r = normalizer().logs(logsFixture('feedback', 'evaluation-logs.json'));
    assert.equal(r.received, 3);
    assert.deepEqual(r.dropped, { feedback_without_target: 1 });
    const [byParent, byResponse] = signals(r.events);
    assert.ok(byParent && byResponse);
    assert.deepEqual(byParent.target, { span: { traceId: '44444444444444444444444444444444', spanId: 'd000000000000001' } });
    assert.equal(byParent.name, 'IntentResolution');
    assert.equal(byParent.value, 5);
    assert.equal(byParent.label, 'pass');
    assert.equal(byParent.reason, 'Intent fully resolved.');
    assert.equal(byParent.source, 'judge');
    assert.deepEqual(byResponse.target, { requestId: 'chatcmpl-Ev4l' });
    assert.equal(byResponse.name, 'Correctness');
    assert.equal(byResponse.value, 0.25);
    assert.equal(byResponse.source, 'expert', 'feedback.source overrides the judge default');
  });
});

describe('signal ids', () => {
  const all = (): FeedbackSignal[] => [
    ...signals(normalizer().traces(tracesFixture('feedback', 'feedback-spans.json')).events),
    ...signals(normalizer().logs(logsFixture('feedback', 'feedback-logs.json')).events),
    ...signals(normalizer().traces(tracesFixture('feedback', 'evaluation-span-events.json')).events),
    ...signals(normalizer().logs(logsFixture('feedback', 'evaluation-logs.json')).events),
  ];

  it('are the same when the same OTLP is delivered twice', () => {
    assert.deepEqual(
      all().map((s) => s.signalId),
      all().map((s) => s.signalId),
    );
  });

  it('are 32 hex chars and distinct across distinct signals', () => {
    const ids = all().map((s) => s.signalId);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('do not depend on batch position or neighbours', () => {
    const rec = mkLog({ 'feedback.kind': 'thumbs', 'feedback.value': true, 'feedback.request_id': 'req-1' }, { eventName: 'feedback' });
    const alone = only(signals(normalizer().logs(logsOf([rec])).events));
    const filler = mkLog({ 'feedback.kind': 'copy', 'feedback.request_id': 'req-2' }, { eventName: 'feedback' });
    const later = signals(normalizer().logs(logsOf([filler, filler, rec])).events)[2];
    assert.equal(later?.signalId, alone.signalId);
  });

  it('differ for two signals that differ only in what they say', () => {
    const a = mkLog({ 'feedback.kind': 'thumbs', 'feedback.value': true, 'feedback.request_id': 'req-1' }, { eventName: 'feedback' });
    const b = mkLog({ 'feedback.kind': 'thumbs', 'feedback.value': false, 'feedback.request_id': 'req-1' }, { eventName: 'feedback' });
    const [sa, sb] = signals(normalizer().logs(logsOf([a, b])).events);
    assert.ok(sa && sb);
    assert.notEqual(sa.signalId, sb.signalId);
  });

  it('differ for two feedback events at the same instant on the same span', () => {
    const ev = { timeMs: 5, name: 'feedback', attributes: new Map([['feedback.kind', 'copy']]) };
    const r = normalizer().traces(tracesOf([mkSpan({}, { eventList: [ev, ev] })]));
    const [x, y] = signals(r.events);
    assert.ok(x && y);
    assert.notEqual(x.signalId, y.signalId);
  });
});

describe('feedback values and validation', () => {
  it('reads numbers, booleans and thumbs words', () => {
    assert.equal(feedbackValue(4.5), 4.5);
    assert.equal(feedbackValue('3'), 3);
    assert.equal(feedbackValue(true), 1);
    assert.equal(feedbackValue(false), 0);
    assert.equal(feedbackValue('up'), 1);
    assert.equal(feedbackValue('thumbs_down'), 0);
    assert.equal(feedbackValue('sideways'), undefined);
    assert.equal(feedbackValue(null), undefined);
  });

  it('accepts kinds in any case, drops unknown sources as invalid', () => {
    const ok = mkLog({ 'feedback.kind': ' Thumbs ', 'feedback.request_id': 'r' });
    const badSource = mkLog({ 'feedback.kind': 'thumbs', 'feedback.request_id': 'r', 'feedback.source': 'robot' });
    const r = normalizer().logs(logsOf([ok, badSource]));
    assert.equal(only(signals(r.events)).feedbackKind, 'thumbs');
    assert.deepEqual(r.dropped, { invalid_feedback: 1 });
  });

  it('a feedback span with an invalid kind is dropped, not read as an interaction', () => {
    const r = normalizer().traces(tracesOf([mkSpan({ 'feedback.kind': 'nope', 'gen_ai.system': 'openai', 'feedback.request_id': 'r' })]));
    assert.deepEqual(r.events, []);
    assert.deepEqual(r.dropped, { invalid_feedback: 1 });
  });

  it('feedback events on a non-GenAI span are signals; the span itself is not counted as dropped', () => {
    const ev = { timeMs: 5, name: 'feedback', attributes: new Map([['feedback.kind', 'abandon'], ['feedback.request_id', 'r9']]) };
    const r = normalizer().traces(tracesOf([mkSpan({ 'http.route': '/feedback' }, { eventList: [ev] })]));
    assert.equal(only(signals(r.events)).feedbackKind, 'abandon');
    assert.deepEqual(r.dropped, {});
  });
});
