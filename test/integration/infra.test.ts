// The real-component test infrastructure, end to end: a real Kafka broker, the
// real OpenTelemetry Collector running the repository's otel-collector.yaml,
// and a real schema registry. An app instrumented with @opentelemetry/sdk-node
// sends a span and a log record over OTLP/HTTP to the collector; they must come
// out of the collector's kafka exporter on otlp_spans / otlp_logs as OTLP
// protobuf.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { trace } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { startKafka, type KafkaBroker } from '../infra/kafka';
import { tailFile } from '../infra/process';
import { startDeployableCollector, type DeployableCollector } from '../infra/collector';
import { startSchemaRegistry, type SchemaRegistry } from '../infra/registry';

// A cold cache builds the collector and the registry first (minutes).
const SETUP_TIMEOUT = 20 * 60_000;

let kafka: KafkaBroker | undefined;
let collector: DeployableCollector | undefined;
let registry: SchemaRegistry | undefined;

/**
 * Walks the top level of a protobuf message and checks that it is exactly a
 * sequence of field-1 length-delimited entries, which is how both
 * ExportTraceServiceRequest (resource_spans) and ExportLogsServiceRequest
 * (resource_logs) encode. Returns the number of entries.
 */
function countTopLevelField1(buf: Buffer): number {
  let pos = 0;
  let entries = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      assert.ok(pos < buf.length, 'truncated varint');
      const b = buf[pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    assert.equal(tag, (1 << 3) | 2, `unexpected top-level tag ${tag} at byte ${pos}`);
    const len = varint();
    pos += len;
    assert.ok(pos <= buf.length, 'entry runs past the end of the record');
    entries++;
  }
  return entries;
}

describe('real Kafka + real collector (otel-collector.yaml) + real schema registry', () => {
  before(
    async () => {
      // Start what does not depend on Kafka alongside it; whatever started is
      // recorded before any failure is rethrown, so after() stops it.
      const [k, r] = await Promise.allSettled([startKafka({ numPartitions: 2 }), startSchemaRegistry()]);
      if (k.status === 'fulfilled') kafka = k.value;
      if (r.status === 'fulfilled') registry = r.value;
      if (k.status === 'rejected') throw k.reason;
      if (r.status === 'rejected') throw r.reason;
      collector = await startDeployableCollector({ kafkaBrokers: kafka!.brokers });
    },
    { timeout: SETUP_TIMEOUT },
  );

  after(async () => {
    await Promise.allSettled([collector?.stop(), registry?.stop()]);
    await kafka?.stop();
  });

  it('kafkajs 2.2.4 speaks to the broker: admin, produce, group consume, commit', async () => {
    const client = new Kafka({ clientId: 'infra-test', brokers: kafka!.brokers, logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    const topic = `infra-${randomUUID()}`;
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }), true);
      const producer = client.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k1', value: 'v1' }, { key: 'k2', value: 'v2' }] });
      await producer.disconnect();

      const groupId = `g-${randomUUID()}`;
      const consumer = client.consumer({ groupId });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only got ${seen.length} messages`)), 30_000);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              seen.push(String(message.value));
              await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
              if (seen.length === 2) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      assert.deepEqual(seen.sort(), ['v1', 'v2']);
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const total = committed[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      assert.equal(total, 2, 'both messages committed');
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('an instrumented app → collector (OTLP/HTTP) → kafka exporter → otlp_spans / otlp_logs', async () => {
    const spanName = `infra-span-${randomUUID()}`;
    const logBody = `infra-log-${randomUUID()}`;
    const client = new Kafka({ clientId: 'infra-test', brokers: kafka!.brokers, logLevel: logLevel.NOTHING });

    // Create the topics up front (the deployment docs ask for this too), so
    // the consumer can subscribe before anything is written.
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: collector!.spansTopic }, { topic: collector!.logsTopic }],
      waitForLeaders: true,
    });
    await admin.disconnect();

    const consumer: Consumer = client.consumer({ groupId: `infra-${randomUUID()}` });
    const found = new Map<string, Buffer>();
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [collector!.spansTopic, collector!.logsTopic], fromBeginning: true });
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `timed out; found ${[...found.keys()].join(', ') || 'nothing'}; collector log:\n${tailFile(collector!.logFile, 20)}`,
              ),
            ),
          60_000,
        );
        // A consumer that cannot decode a batch (e.g. an unsupported compression
        // codec) crashes inside run() without rejecting it: surface that.
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          clearTimeout(timer);
          reject(payload.error);
        });
        consumer
          .run({
            eachMessage: async ({ topic, message }) => {
              const value = message.value;
              if (!value) return;
              const marker = topic === collector!.spansTopic ? spanName : logBody;
              if (value.includes(Buffer.from(marker))) found.set(topic, value);
              if (found.size === 2) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });

      // The app: the SDK as an application would set it up, exporting to the collector.
      const sdk = new NodeSDK({
        serviceName: 'infra-test-app',
        traceExporter: new OTLPTraceExporter({ url: `${collector!.otlpHttpEndpoint}/v1/traces` }),
        logRecordProcessors: [
          new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${collector!.otlpHttpEndpoint}/v1/logs` }) }),
        ],
      });
      sdk.start();
      const tracer = trace.getTracer('infra-test');
      tracer.startActiveSpan(spanName, (span) => {
        span.setAttribute('gen_ai.operation.name', 'chat');
        logs.getLogger('infra-test').emit({ severityNumber: SeverityNumber.INFO, body: logBody, eventName: 'infra.test' });
        span.end();
      });
      // shutdown() flushes both exporters before we wait on Kafka.
      await sdk.shutdown();

      await done;
    } finally {
      await consumer.disconnect();
    }

    const spans = found.get(collector!.spansTopic)!;
    const logRecords = found.get(collector!.logsTopic)!;
    assert.ok(spans.length > 0 && logRecords.length > 0);
    assert.ok(countTopLevelField1(spans) >= 1, 'otlp_spans value is an OTLP ExportTraceServiceRequest');
    assert.ok(countTopLevelField1(logRecords) >= 1, 'otlp_logs value is an OTLP ExportLogsServiceRequest');
    assert.ok(spans.includes(Buffer.from('infra-test-app')), 'resource service.name is carried');
  });

  it('the schema registry registers an Avro schema, serves it by id, and checks compatibility', async () => {
    const subject = `infra-${randomUUID()}-value`;
    const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
    const v1 = {
      type: 'record',
      name: 'LabeledRecord',
      namespace: 'otel.feedback',
      fields: [{ name: 'request_id', type: 'string' }],
    };
    const put = await fetch(`${registry!.url}/config/${subject}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    assert.equal(put.status, 200, await put.text());

    const reg = await fetch(`${registry!.url}/subjects/${subject}/versions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ schema: JSON.stringify(v1) }),
    });
    assert.equal(reg.status, 200, await reg.clone().text());
    const { id } = (await reg.json()) as { id: number };
    assert.equal(typeof id, 'number');

    const byId = await fetch(`${registry!.url}/schemas/ids/${id}`);
    assert.equal(byId.status, 200);
    const { schema } = (await byId.json()) as { schema: string };
    assert.deepEqual(JSON.parse(schema), v1);

    const check = async (fields: object[]) => {
      const res = await fetch(`${registry!.url}/compatibility/subjects/${subject}/versions/latest`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ schema: JSON.stringify({ ...v1, fields: [...v1.fields, ...fields] }) }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { is_compatible: boolean }).is_compatible;
    };
    // A new field with a default can read old data; one without cannot.
    assert.equal(await check([{ name: 'score', type: 'double', default: 0 }]), true);
    assert.equal(await check([{ name: 'score', type: 'double' }]), false);
  });
});
