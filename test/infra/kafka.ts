// A real single-node Apache Kafka broker (KRaft, combined broker+controller)
// for tests, run from the Apache Kafka jars on Maven Central.
//
//   const kafka = await startKafka();          // brokers: ['127.0.0.1:<port>']
//   ... kafkajs clients against kafka.brokers ...
//   await kafka.restart();                     // same ports and data: a broker bounce
//   await kafka.stop();                        // also deletes the data dir
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { cachePath, withCacheLock } from './cache';
import { freePort, runTool, startProcess, waitUntil, type ManagedProcess } from './process';

/** Kept in step with `kafka.version` in test/infra/kafka/pom.xml; the cache is keyed by it. */
export const KAFKA_VERSION = '4.4.0';

const execFileAsync = promisify(execFile);

const POM = join(__dirname, '..', '..', '..', 'test', 'infra', 'kafka', 'pom.xml');

/**
 * Puts the broker's jars in `<cache>/kafka/<version>/jars` (once; later calls
 * return at once) and returns that folder.
 */
export async function prepareKafka(): Promise<string> {
  const root = cachePath('kafka', KAFKA_VERSION);
  const jars = join(root, 'jars');
  const done = join(root, '.complete');
  if (existsSync(done)) return jars;
  return withCacheLock(`kafka-${KAFKA_VERSION}`, async () => {
    if (existsSync(done)) return jars;
    // Copy into a fresh folder and rename, so a killed download never looks complete.
    const staging = join(root, `jars.tmp-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    await runTool(
      'mvn',
      ['-q', '-B', '-f', POM, `-Dmaven.repo.local=${cachePath('m2')}`, `-Dkafka.jars=${staging}`, 'dependency:copy-dependencies'],
      { logFile: join(root, 'prepare.log') },
    );
    if (!readdirSync(staging).some((f) => f.startsWith('kafka_2.13-'))) {
      throw new Error(`mvn copied no kafka_2.13 jar into ${staging}`);
    }
    rmSync(jars, { recursive: true, force: true });
    renameSync(staging, jars);
    writeFileSync(done, `${new Date().toISOString()}\n`);
    return jars;
  });
}

export interface KafkaOptions {
  /** Client port; default `$KAFKA_TEST_PORT` or a free one. Never 9092 by default, so a developer's broker is left alone. */
  port?: number;
  /** Controller (KRaft quorum) port; default a free one. */
  controllerPort?: number;
  /** `num.partitions` for auto-created topics (default 1). */
  numPartitions?: number;
  /** Extra `server.properties` lines, e.g. `{ 'log.retention.ms': '60000' }`. */
  properties?: Record<string, string>;
  /** Java heap (default 512m). */
  heap?: string;
  /** Extra `kafka-storage format` arguments, e.g. `['--add-scram', 'SCRAM-SHA-256=[name=u,password=p]']`. */
  formatArgs?: string[];
  /** How long to wait for the broker to answer (default 90 s). */
  startTimeoutMs?: number;
}

export interface KafkaBroker {
  /** Bootstrap servers for kafkajs / the collector: `['127.0.0.1:<port>']`. */
  readonly brokers: string[];
  readonly port: number;
  readonly controllerPort: number;
  /** Temp dir holding server.properties, the data dir and broker.log. */
  readonly dir: string;
  readonly logFile: string;
  /** Stops the broker (SIGTERM, controlled shutdown) and deletes its temp dir. */
  stop(): Promise<void>;
  /**
   * Stops and starts the broker again with the same ports and data, and waits
   * until it answers. `hard: true` kills it with SIGKILL first (a crash).
   * `downMs` keeps it down that long, so clients are sure to meet the outage.
   */
  restart(opts?: { hard?: boolean; downMs?: number }): Promise<void>;
}

export async function startKafka(options: KafkaOptions = {}): Promise<KafkaBroker> {
  const jars = await prepareKafka();
  const port = options.port ?? (process.env.KAFKA_TEST_PORT ? Number(process.env.KAFKA_TEST_PORT) : await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'feedback-loop-kafka-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'broker.log');
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': String(options.numPartitions ?? 1),
    'auto.create.topics.enable': 'true',
    // A single node cannot replicate: the internal topics would never be created otherwise.
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // Tests join groups one after another; the default 3 s delay would slow every one.
    'group.initial.rebalance.delay.ms': '0',
    'log.flush.interval.messages': '1000000',
    ...options.properties,
  };
  writeFileSync(
    join(dir, 'server.properties'),
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  mkdirSync(dataDir, { recursive: true });

  const javaArgs = (mainClass: string, heap: string, rest: string[]) => [
    `-Xmx${heap}`,
    '-Xms64m',
    // Faster start and less memory for a short-lived test broker.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config.AbstractConfig=warn',
    '-cp',
    join(jars, '*'),
    mainClass,
    ...rest,
  ];

  // KRaft needs the log dir formatted with a cluster id before the first start.
  // Kafka's own format (base64url of a 16-byte UUID); an id that starts with
  // '-' would be read by StorageTool as an option, so force a letter first.
  const clusterId = `K${randomBytes(16).toString('base64url').slice(1)}`;
  await runTool('java', javaArgs('kafka.tools.StorageTool', '256m', ['format', '--cluster-id', clusterId, '--config', join(dir, 'server.properties'), ...(options.formatArgs ?? [])]), {
    logFile,
  });

  const heap = options.heap ?? '512m';
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  let proc: ManagedProcess | undefined;

  const launch = async () => {
    proc = startProcess('kafka', 'java', javaArgs('kafka.Kafka', heap, [join(dir, 'server.properties')]), { logFile });
    await waitForBroker(`127.0.0.1:${port}`, proc, timeoutMs);
  };
  try {
    await launch();
  } catch (err) {
    await proc?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  let stopped = false;
  return {
    brokers: [`127.0.0.1:${port}`],
    port,
    controllerPort,
    dir,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc?.stop('SIGTERM', 20_000);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(opts = {}) {
      if (stopped) throw new Error('kafka: restart() after stop()');
      await proc?.stop(opts.hard ? 'SIGKILL' : 'SIGTERM', 20_000);
      if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
      await launch();
    },
  };
}

/** Waits until the broker answers a real admin request (describeCluster), not just a TCP connect. */
async function waitForBroker(broker: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'infra-readiness',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  await waitUntil(
    `kafka at ${broker}`,
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    { proc, timeoutMs, intervalMs: 300 },
  );
}

const READ_TOPIC = join(__dirname, '..', '..', '..', 'test', 'infra', 'kafka', 'ReadTopic.java');

/**
 * Reads the first `count` records of `topic` with Apache Kafka's own Java
 * consumer (the reference client, from the broker's jars), so a test can show
 * that what the service wrote is read by more than kafkajs.
 */
export async function readWithJavaConsumer(
  broker: KafkaBroker,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<{ partition: number; offset: number; value: Buffer }[]> {
  const jars = await prepareKafka();
  const { stdout } = await execFileAsync('java', ['-Xmx256m', '-cp', join(jars, '*'), READ_TOPIC, broker.brokers[0]!, topic, String(count), String(timeoutMs)], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs + 60_000,
  });
  return stdout
    .split('\n')
    .filter((l) => /^\d+\t\d+\t/.test(l))
    .map((l) => {
      const [partition, offset, value] = l.split('\t');
      return { partition: Number(partition), offset: Number(offset), value: Buffer.from(value ?? '', 'base64') };
    });
}

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * The compression codec of every record batch the broker stored for `topic`,
 * read from its log segments (the batch header's attributes, bits 0–2), so a
 * test sees what is on disk rather than what a client says it sent.
 */
export function storedBatchCodecs(broker: KafkaBroker, topic: string): string[] {
  const data = join(broker.dir, 'data');
  const codecs: string[] = [];
  for (const dir of readdirSync(data).filter((d) => d.startsWith(`${topic}-`) && /^\d+$/.test(d.slice(topic.length + 1)))) {
    for (const file of readdirSync(join(data, dir)).filter((f) => f.endsWith('.log'))) {
      const segment = readFileSync(join(data, dir, file));
      // baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc int32, attributes int16.
      for (let at = 0; at + 23 <= segment.length; at += 12 + segment.readInt32BE(at + 8)) {
        codecs.push(CODEC_NAMES[segment.readInt16BE(at + 21) & 7] ?? 'unknown');
      }
    }
  }
  return codecs;
}
