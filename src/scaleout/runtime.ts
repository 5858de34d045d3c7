import { join as pathJoin } from 'node:path';
import { CompressionTypes, Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import type { Config } from '../config';
import type { Lifecycle } from '../pipeline/contracts';
import type { Decide } from '../stages/join/join';
import type { ComponentContext } from '../telemetry/metrics';
import { ERROR_CODES, FeedbackLoopError, errorMessage } from '../pipeline/errors';
import { kafkaLogCreator, kafkaSecurityOptions } from '../sinks/kafka/client';
import { SchemaRegistryClient } from '../sinks/kafka/registry';
import { defaultSchemas } from '../sinks/avro/schemas';
import { instanceIdOf } from './config';
import { KeyPartitioner } from './codec';
import { scaleOutMetrics, type ScaleOutMetrics } from './metrics';
import { OutputEncoder } from './outputs';
import { PartitionedJoin } from './partitioned-join';
import type { RepartitionTarget } from './repartition';
import { ensureInternalTopics } from './topics';

/** Smallest LevelDB memtable / cache per partition store. */
const MIN_WRITE_BUFFER = 4 * 1024 * 1024;
const MIN_CACHE = 2 * 1024 * 1024;

/**
 * Everything scale-out runs besides the ingest path: the Kafka client, the
 * internal topics, the repartition producer and the partitioned join. The
 * service starts it before its sources and stops it after them.
 */
export class ScaleOutRuntime implements Lifecycle, RepartitionTarget {
  readonly topic: string;
  readonly partitioner: KeyPartitioner;
  readonly metrics: ScaleOutMetrics;
  readonly join: PartitionedJoin;
  private readonly kafka: Kafka;
  private readonly encoder: OutputEncoder;
  private readonly instanceId: string;
  private producing: Promise<Producer> | undefined;
  private decide: Decide;
  private startOnce: Promise<void> | undefined;
  private stopOnce: Promise<void> | undefined;

  constructor(
    private readonly config: Config,
    decide: Decide,
    private readonly ctx: ComponentContext,
  ) {
    const so = config.scale_out;
    if (!config.sinks.kafka.enabled) {
      throw new FeedbackLoopError(
        ERROR_CODES.CONFIG_INVALID,
        'scale_out.enabled needs sinks.kafka.enabled: the partitioned join writes its records to the Kafka topics in the same transaction as its state',
      );
    }
    this.decide = decide;
    this.instanceId = instanceIdOf(so);
    this.topic = so.repartition_topic;
    this.partitioner = new KeyPartitioner(so.repartition_topic, so.partitions);
    this.metrics = scaleOutMetrics(ctx.metrics);
    this.kafka = new Kafka({
      clientId: `${config.sinks.kafka.client_id}-${this.instanceId}`,
      brokers: so.brokers,
      connectionTimeout: 3000,
      requestTimeout: config.sinks.kafka.request_timeout,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 },
      logLevel: ctx.logger.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
      logCreator: kafkaLogCreator(ctx.logger, 'scaleout', ctx.clock),
      ...kafkaSecurityOptions(so.security),
    });
    const sink = config.sinks.kafka;
    this.encoder = new OutputEncoder(sink, defaultSchemas(), ctx, sink.schema_registry_url ? new SchemaRegistryClient({ url: sink.schema_registry_url }) : undefined);
    // One instance owning every partition uses what one single-instance store would.
    const share = (bytes: number, min: number) => Math.max(min, Math.floor(bytes / so.partitions));
    this.join = new PartitionedJoin(
      this.kafka,
      so,
      {
        kafka: this.kafka,
        join: config.join,
        scaleOut: so,
        instanceId: this.instanceId,
        policyVersion: config.redact.policy_version,
        storeOptions: {
          sync: config.join.store_sync,
          writeBufferBytes: share(config.join.store_write_buffer, MIN_WRITE_BUFFER),
          cacheBytes: share(config.join.store_cache, MIN_CACHE),
        },
        outputTopicsCompression: sink.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        stateDir: pathJoin(config.service.data_dir, 'state'),
        ctx,
        metrics: this.metrics,
        partitioner: this.partitioner,
        encoder: this.encoder,
        decide: (r) => this.decide(r),
      },
      ctx,
      this.metrics,
    );
  }

  start(): Promise<void> {
    this.startOnce ??= this.doStart();
    return this.startOnce;
  }

  shutdown(): Promise<void> {
    this.stopOnce ??= (async () => {
      await this.startOnce?.catch(() => undefined);
      await this.join.shutdown();
      const p = this.producing;
      this.producing = undefined;
      await p?.then((x) => x.disconnect()).catch(() => undefined);
    })();
    return this.stopOnce;
  }

  setDecide(decide: Decide): void {
    this.decide = decide;
  }

  producer(): Promise<Producer> {
    if (!this.producing) {
      const p = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      });
      this.producing = p.connect().then(() => p);
      this.producing.catch(() => {
        this.producing = undefined;
      });
    }
    return this.producing;
  }

  dropProducer(): void {
    const old = this.producing;
    this.producing = undefined;
    void old?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private async doStart(): Promise<void> {
    const so = this.config.scale_out;
    const deadline = this.ctx.clock.now() + this.config.sinks.kafka.connect_timeout;
    for (let attempt = 0; ; attempt++) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        await ensureInternalTopics(admin, so, this.ctx.logger);
        await this.encoder.init();
        await this.producer();
        break;
      } catch (err) {
        const permanent = err instanceof FeedbackLoopError && !err.retryable;
        if (permanent || this.ctx.clock.now() >= deadline) {
          if (permanent) throw err;
          throw new FeedbackLoopError(ERROR_CODES.SINK_UNAVAILABLE, `scale-out: could not reach Kafka at ${so.brokers.join(',')}: ${errorMessage(err)}`, { cause: err });
        }
        this.ctx.logger.warn({ component: 'scaleout', attempt, err: errorMessage(err) }, 'scale-out: Kafka not reachable yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 250 * 2 ** attempt)));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
    await this.join.start();
    this.ctx.logger.info(
      { component: 'scaleout', instance: this.instanceId, groupId: so.group_id, partitions: so.partitions, repartitionTopic: so.repartition_topic, changelogTopic: so.changelog_topic },
      'scale-out started',
    );
  }
}
