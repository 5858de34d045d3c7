// The internal topics against a real broker: created with the settings the
// join depends on, and existing topics that do not fit are refused with the
// setting named.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { startKafka, type KafkaBroker } from '../infra';
import { configSchema } from '../../src/config/schema';
import { ensureInternalTopics } from '../../src/scaleout/topics';
import { silentLogger } from '../../src/telemetry';

let kafka: KafkaBroker | undefined;
let admin: Admin;

const scaleOut = (over: Record<string, unknown>) =>
  configSchema.parse({ sources: { otlp_http: { enabled: true } }, sinks: { file: { enabled: false }, kafka: { enabled: true } }, scale_out: { enabled: true, ...over } }).scale_out;

describe('scale-out internal topics', () => {
  before(
    async () => {
      kafka = await startKafka();
      admin = new Kafka({ clientId: 'topics-test', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    await admin?.disconnect();
    await kafka?.stop();
  });

  it('creates missing topics: changelog compacted, repartition not, both with the configured partitions', async () => {
    const so = scaleOut({ repartition_topic: 't1.repartition', changelog_topic: 't1.changelog', partitions: 5 });
    await ensureInternalTopics(admin, so, silentLogger());
    const meta = await admin.fetchTopicMetadata({ topics: ['t1.repartition', 't1.changelog'] });
    assert.deepEqual(meta.topics.map((t) => [t.name, t.partitions.length]).sort(), [
      ['t1.changelog', 5],
      ['t1.repartition', 5],
    ]);
    const cfg = await admin.describeConfigs({
      includeSynonyms: false,
      resources: ['t1.repartition', 't1.changelog'].map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['cleanup.policy'] })),
    });
    const policy = Object.fromEntries(cfg.resources.map((r) => [r.resourceName, r.configEntries[0]!.configValue]));
    assert.deepEqual(policy, { 't1.repartition': 'delete', 't1.changelog': 'compact' });
    // A second instance starting against them finds nothing to change.
    await ensureInternalTopics(admin, so, silentLogger());
  });

  it('refuses topics that do not fit, naming every mismatch', async () => {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: 't2.repartition', numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: 't2.changelog', numPartitions: 6, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] },
      ],
    });
    const so = scaleOut({ repartition_topic: 't2.repartition', changelog_topic: 't2.changelog', partitions: 6 });
    await assert.rejects(ensureInternalTopics(admin, so, silentLogger()), (err: Error) => {
      assert.match(err.message, /t2\.repartition has 3 partitions but scale_out\.partitions is 6/);
      assert.match(err.message, /t2\.changelog \(scale_out\.changelog_topic\) has cleanup\.policy=delete; it must be compact/);
      assert.match(err.message, /t2\.repartition \(scale_out\.repartition_topic\) has cleanup\.policy=compact/);
      return true;
    });
  });

  it('with create_topics: false, refuses to start when they are missing', async () => {
    const so = scaleOut({ repartition_topic: 't3.repartition', changelog_topic: 't3.changelog', create_topics: false });
    await assert.rejects(ensureInternalTopics(admin, so, silentLogger()), /t3\.repartition, t3\.changelog do not exist and scale_out\.create_topics is false/);
    assert.ok(!(await admin.listTopics()).includes('t3.changelog'), 'nothing was created');
  });
});
