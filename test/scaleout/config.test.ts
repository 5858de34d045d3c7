import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema';
import { ScaleOutRuntime } from '../../src/scaleout/runtime';
import { instanceIdOf } from '../../src/scaleout/config';
import { FeedbackLoopError } from '../../src/pipeline/errors';
import { Metrics, silentLogger, systemClock } from '../../src/telemetry';

const base = { sources: { otlp_http: { enabled: true } }, sinks: { file: { enabled: false }, kafka: { enabled: true } } };

test('scale_out is off by default, and every default is documented in the schema', () => {
  const c = configSchema.parse(base);
  assert.equal(c.scale_out.enabled, false);
  assert.equal(c.scale_out.repartition_topic, 'feedback-loop.repartition');
  assert.equal(c.scale_out.changelog_topic, 'feedback-loop.changelog');
  assert.equal(c.scale_out.partitions, 6);
  assert.equal(c.scale_out.create_topics, true);
  assert.equal(c.scale_out.commit_interval, 200);
  const shape = configSchema.shape.scale_out.unwrap().shape as Record<string, { description?: string }>;
  for (const [key, schema] of Object.entries(shape)) assert.ok(schema.description, `scale_out.${key} is described`);
});

test('bad values are reported with their path, all at once', () => {
  const r = configSchema.safeParse({
    ...base,
    scale_out: { enabled: true, partitions: 0, changelog_topic: 'no spaces allowed', session_timeout: '200ms', commit_interval: '1ms', brokers: 'nohost', surprise: 1 },
  });
  assert.equal(r.success, false);
  const paths = r.error!.issues.map((i) => i.path.join('.'));
  for (const p of ['scale_out.partitions', 'scale_out.changelog_topic', 'scale_out.session_timeout', 'scale_out.commit_interval', 'scale_out.brokers.0', 'scale_out']) {
    assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  }
});

test('scale-out refuses to run without the Kafka sink, naming both keys', () => {
  const c = configSchema.parse({ sources: { otlp_http: { enabled: true } }, sinks: { file: { enabled: true } }, scale_out: { enabled: true } });
  const ctx = { logger: silentLogger(), metrics: new Metrics(), clock: systemClock };
  assert.throws(
    () => new ScaleOutRuntime(c, () => [], ctx),
    (e: unknown) => e instanceof FeedbackLoopError && e.code === 'config_invalid' && /scale_out\.enabled/.test(e.message) && /sinks\.kafka\.enabled/.test(e.message),
  );
});

test('the instance id defaults to something unique per process', () => {
  assert.equal(instanceIdOf({ instance_id: 'pod-7' }), 'pod-7');
  assert.match(instanceIdOf({}), new RegExp(`-${process.pid}$`));
});
