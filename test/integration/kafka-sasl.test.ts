// Kafka with SASL/PLAIN on a real broker: the sink authenticates and produces
// through a SASL listener; a wrong password is refused and the sink is not ready.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startKafka, freePort, type KafkaBroker } from '../infra';
import { TOPICS } from '../../src/pipeline/contracts';
import { encodeRecord, labeledRecordToAvro } from '../../src/sinks/avro';
import { kafkaSinkConfigSchema } from '../../src/sinks/kafka/config';
import { KafkaSink } from '../../src/sinks/kafka/kafka-sink';
import { Metrics, silentLogger, systemClock } from '../../src/telemetry';
import { fullLabeledRecord } from '../fixtures/avro/records';
import { readTopics, singleObjectDecoder } from '../sinks/kafka/helpers';

let kafka: KafkaBroker | undefined;
let saslBroker = '';

describe('Kafka sink over SASL/PLAIN', () => {
  before(
    async () => {
      const port = await freePort();
      const controllerPort = await freePort();
      const saslPort = await freePort();
      saslBroker = `127.0.0.1:${saslPort}`;
      kafka = await startKafka({
        port,
        controllerPort,
        properties: {
          listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SASL_PLAINTEXT://${saslBroker}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://${saslBroker}`,
          'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
          'sasl.enabled.mechanisms': 'PLAIN',
          'listener.name.sasl_plaintext.plain.sasl.jaas.config':
            'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-pw" user_admin="admin-pw" user_feedback="s3cret-pw";',
        },
      });
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    await kafka?.stop();
  });

  const sink = (password: string) =>
    new KafkaSink(
      kafkaSinkConfigSchema.parse({
        enabled: true,
        brokers: [saslBroker],
        partitions: 1,
        connect_timeout: '10s',
        request_timeout: '5s',
        topics: Object.fromEntries(TOPICS.map((t) => [t, `sasl.${t}`])),
        security: { sasl: { mechanism: 'plain', username: 'feedback', password } },
      }),
      { logger: silentLogger(), metrics: new Metrics(), clock: systemClock },
    );

  it('authenticates and produces through the SASL listener', { timeout: 60_000 }, async () => {
    const s = sink('s3cret-pw');
    await s.start();
    try {
      await s.write([{ seq: 1, topic: 'labeled_interactions', key: 'req-1', recordId: 'rec-1', payload: encodeRecord('labeled_interactions', labeledRecordToAvro(fullLabeledRecord())), timeMs: Date.now() }]);
      assert.equal(s.durableSeq(), 1);
    } finally {
      await s.shutdown();
    }
    const records = await readTopics(kafka!.brokers, ['sasl.labeled_interactions'], singleObjectDecoder(), (rs) => rs.length >= 1, 30_000);
    assert.equal(records[0]!.key, 'req-1');
  });

  it('a wrong password is refused: the sink does not start', { timeout: 60_000 }, async () => {
    const s = sink('wrong-pw');
    await assert.rejects(
      (async () => {
        await s.start();
        await s.write([{ seq: 1, topic: 'labeled_interactions', key: 'req-2', recordId: 'rec-2', payload: encodeRecord('labeled_interactions', labeledRecordToAvro(fullLabeledRecord())), timeMs: Date.now() }]);
      })(),
      (err: Error) => /SASL|[Aa]uthenticat/.test(`${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`),
    );
    assert.equal(s.ready(), false);
    await s.shutdown();
  });
});
