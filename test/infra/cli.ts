// By-hand entry point for the real-component test infrastructure.
//
//   node dist/test/infra/cli.js prepare                 download/build everything into the cache
//   node dist/test/infra/cli.js start kafka|collector|registry|all
//                                                       start, print endpoints, run until Ctrl-C
//
// `start collector` runs otel-collector.yaml against $KAFKA_BROKERS (default
// 127.0.0.1:9092); `start all` points it at the broker it starts.
import { cacheDir } from './cache';
import { prepareKafka, startKafka, KAFKA_VERSION } from './kafka';
import { prepareCollector, startDeployableCollector, BUILDER_VERSION } from './collector';
import { prepareSchemaRegistry, startSchemaRegistry, APICURIO_VERSION } from './registry';

type Stoppable = { stop(): Promise<void> };

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const result = await fn();
  console.log(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

async function prepare(): Promise<void> {
  console.log(`cache: ${cacheDir()}`);
  // Maven downloads and the Go build use different resources (network vs CPU),
  // so run the collector build beside the two Maven steps.
  await Promise.all([
    timed(`collector (builder ${BUILDER_VERSION})`, prepareCollector).then((p) => console.log(`  ${p}`)),
    (async () => {
      console.log(`  ${await timed(`kafka ${KAFKA_VERSION}`, prepareKafka)}`);
      console.log(`  ${await timed(`schema registry (Apicurio ${APICURIO_VERSION})`, prepareSchemaRegistry)}`);
    })(),
  ]);
}

async function start(what: string): Promise<void> {
  const running: Stoppable[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Reverse order: the collector before the broker it writes to.
    for (const s of running.reverse()) await s.stop().catch((err: unknown) => console.error(err));
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    let brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
    if (what === 'kafka' || what === 'all') {
      const kafka = await startKafka();
      running.push(kafka);
      brokers = kafka.brokers;
      console.log(`kafka ${KAFKA_VERSION}: brokers ${kafka.brokers.join(',')}  (log ${kafka.logFile})`);
    }
    if (what === 'registry' || what === 'all') {
      const reg = await startSchemaRegistry();
      running.push(reg);
      console.log(`schema registry: ${reg.url}  (log ${reg.logFile})`);
    }
    if (what === 'collector' || what === 'all') {
      const col = await startDeployableCollector({ kafkaBrokers: brokers });
      running.push(col);
      console.log(`collector: OTLP/HTTP ${col.otlpHttpEndpoint}  OTLP/gRPC ${col.otlpGrpcEndpoint}  health ${col.healthEndpoint}`);
      console.log(`  → kafka ${brokers.join(',')} topics ${col.spansTopic}, ${col.logsTopic}  (log ${col.logFile})`);
    }
    if (running.length === 0) throw new Error(`unknown component '${what}' (kafka|collector|registry|all)`);
    console.log('running; Ctrl-C to stop');
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    await shutdown(1);
  }
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'prepare') {
  prepare().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
} else if (cmd === 'start' && arg) {
  void start(arg);
} else {
  console.error('usage: node dist/test/infra/cli.js prepare | start kafka|collector|registry|all');
  process.exit(2);
}
