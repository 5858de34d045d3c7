import type { Gauge } from 'prom-client';
import type { ComponentContext } from '../../telemetry/metrics';
import type { KafkaClient } from './consumer';

/**
 * Which of the source's configured topics the brokers have. A missing one is
 * logged once (naming it) and gauged until it appears; the collector's
 * exporter creates its topics on its first write, so missing is a state to
 * wait out, not an error.
 */
export class TopicPresence {
  /** Configured topics the brokers did not have at the last look. */
  private readonly missing = new Set<string>();
  private readonly gauge: Gauge<string>;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly topics: readonly string[],
    private readonly ctx: ComponentContext,
    private readonly component: string,
    private readonly checkEveryMs: number,
  ) {
    this.gauge = ctx.metrics.gauge(
      'feedback_loop_kafka_source_topic_missing',
      '1 while a configured source topic does not exist on the brokers (the source reads the others and waits for it), else 0.',
      ['topic'],
    );
  }

  /** How many configured topics were missing at the last look. */
  missingCount(): number {
    return this.missing.size;
  }

  /** Lists the brokers' topics; returns the configured ones present and records the rest as missing. */
  async look(): Promise<string[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    let existing: Set<string>;
    try {
      existing = new Set(await admin.listTopics());
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const present: string[] = [];
    for (const topic of this.topics) {
      if (existing.has(topic)) {
        present.push(topic);
        this.gauge.labels(topic).set(0);
        if (this.missing.delete(topic)) this.ctx.logger.info({ component: this.component, topic }, 'kafka source: topic now exists; reading it');
        continue;
      }
      this.gauge.labels(topic).set(1);
      if (!this.missing.has(topic)) {
        this.missing.add(topic);
        this.ctx.logger.warn(
          { component: this.component, topic, checkEvery: this.checkEveryMs },
          `kafka source: topic ${topic} does not exist yet; waiting for it (the collector's kafka exporter creates it on its first write where the brokers auto-create topics; otherwise create it)`,
        );
      }
    }
    return present;
  }
}
