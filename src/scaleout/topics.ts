import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { ERROR_CODES, FeedbackLoopError } from '../pipeline/errors';
import type { Logger } from '../telemetry/logger';
import type { ScaleOutConfig } from './config';

// The two internal topics and the settings correctness depends on:
// - both have exactly `partitions` partitions, and the same number: partition
//   n of the changelog holds the state of the join over partition n of the
//   repartition topic, and a key's partition must never change under its state;
// - the changelog is compacted (and only compacted): the latest value of every
//   store key must stay, however old, or a restore loses windows;
// - the repartition topic is NOT compacted: two events with one key are both
//   needed. It is deleted by time (broker default retention, 7 days): an
//   outage of the join longer than that loses input.
// Records up to 16 MiB: a window holding a long conversation and its feedback
// is one changelog record.

const MAX_MESSAGE_BYTES = String(16 * 1024 * 1024);

export async function ensureInternalTopics(admin: Admin, config: ScaleOutConfig, logger: Logger): Promise<void> {
  const wanted = [
    { topic: config.repartition_topic, cleanup: 'delete' },
    { topic: config.changelog_topic, cleanup: 'compact' },
  ];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((w) => !existing.has(w.topic));
  if (missing.length > 0) {
    if (!config.create_topics) {
      throw new FeedbackLoopError(
        ERROR_CODES.CONFIG_INVALID,
        `scale_out: topic(s) ${missing.map((m) => m.topic).join(', ')} do not exist and scale_out.create_topics is false; create them (see src/scaleout/README.md) or set create_topics: true`,
      );
    }
    // false (not an error) when another instance created one first: checked below like any existing topic.
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((m) => ({
        topic: m.topic,
        numPartitions: config.partitions,
        ...(config.replication_factor ? { replicationFactor: config.replication_factor } : {}),
        configEntries: [
          { name: 'cleanup.policy', value: m.cleanup },
          { name: 'max.message.bytes', value: MAX_MESSAGE_BYTES },
        ],
      })),
    });
    logger.info({ component: 'scaleout', topics: missing.map((m) => m.topic), partitions: config.partitions }, 'scale-out: internal topics created');
  }
  const problems = await checkInternalTopics(admin, config);
  if (problems.length > 0) {
    throw new FeedbackLoopError(ERROR_CODES.CONFIG_INVALID, `scale_out: the internal topics do not fit:\n  ${problems.join('\n  ')}`);
  }
}

/** Every mismatch between the internal topics and what the join needs, in words naming the setting. */
export async function checkInternalTopics(admin: Admin, config: ScaleOutConfig): Promise<string[]> {
  const problems: string[] = [];
  const topics = [config.repartition_topic, config.changelog_topic];
  const meta = await admin.fetchTopicMetadata({ topics });
  for (const t of meta.topics) {
    if (t.partitions.length !== config.partitions) {
      problems.push(
        `topic ${t.name} has ${t.partitions.length} partitions but scale_out.partitions is ${config.partitions} (set scale_out.partitions to ${t.partitions.length}, or use new topic names: changing the count of existing topics would strand state)`,
      );
    }
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['cleanup.policy'] })),
  });
  for (const r of described.resources) {
    const policy = r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? 'delete';
    const policies = new Set(policy.split(',').map((p) => p.trim()));
    if (r.resourceName === config.changelog_topic && (policies.size !== 1 || !policies.has('compact'))) {
      problems.push(`topic ${r.resourceName} (scale_out.changelog_topic) has cleanup.policy=${policy}; it must be compact, or restored partitions lose state`);
    }
    if (r.resourceName === config.repartition_topic && policies.has('compact')) {
      problems.push(`topic ${r.resourceName} (scale_out.repartition_topic) has cleanup.policy=${policy}; it must not be compacted, or events with one key are lost`);
    }
  }
  return problems;
}
