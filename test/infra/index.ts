// Real components for tests (no mocks): a Kafka broker, an OpenTelemetry
// Collector and a schema registry, downloaded/built into the cache on first use.
export { cacheDir, cachePath, withCacheLock } from './cache';
export { freePort, tailFile } from './process';
export { KAFKA_VERSION, prepareKafka, readWithJavaConsumer, startKafka, storedBatchCodecs, type KafkaBroker, type KafkaOptions } from './kafka';
export {
  BUILDER_VERSION,
  DEPLOYABLE_CONFIG,
  prepareCollector,
  startCollector,
  startDeployableCollector,
  type Collector,
  type CollectorOptions,
  type DeployableCollector,
  type DeployableCollectorOptions,
} from './collector';
export { APICURIO_VERSION, prepareSchemaRegistry, startSchemaRegistry, type SchemaRegistry, type SchemaRegistryOptions } from './registry';
