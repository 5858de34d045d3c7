import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Every component reports the same four counters, labelled with its name, so
// one dashboard fits all of them (the collector's obsreport idea). Names follow
// Prometheus conventions: snake_case, unit suffix, _total on counters.

export interface ComponentCounters {
  received(n?: number): void;
  emitted(n?: number): void;
  /** Dropped on purpose or by policy, with a reason code. */
  dropped(reason: string, n?: number): void;
  /** Could not process, with a reason code. */
  error(reason: string, n?: number): void;
}

export class Metrics {
  readonly registry: Registry;
  private readonly received: Counter<'component'>;
  private readonly emitted: Counter<'component'>;
  private readonly droppedItems: Counter<'component' | 'reason'>;
  private readonly errors: Counter<'component' | 'reason'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    this.received = new Counter({
      name: 'feedback_loop_component_received_items_total',
      help: 'Items a component received (spans, log records, events, records).',
      labelNames: ['component'],
      registers,
    });
    this.emitted = new Counter({
      name: 'feedback_loop_component_emitted_items_total',
      help: 'Items a component passed on.',
      labelNames: ['component'],
      registers,
    });
    this.droppedItems = new Counter({
      name: 'feedback_loop_component_dropped_items_total',
      help: 'Items a component dropped on purpose, by reason.',
      labelNames: ['component', 'reason'],
      registers,
    });
    this.errors = new Counter({
      name: 'feedback_loop_component_errors_total',
      help: 'Items a component could not process, by reason.',
      labelNames: ['component', 'reason'],
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'feedback_loop_' });
  }

  component(name: string): ComponentCounters {
    const received = this.received.labels(name);
    const emitted = this.emitted.labels(name);
    return {
      received: (n = 1) => received.inc(n),
      emitted: (n = 1) => emitted.inc(n),
      dropped: (reason, n = 1) => this.droppedItems.labels(name, reason).inc(n),
      error: (reason, n = 1) => this.errors.labels(name, reason).inc(n),
    };
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<string>;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<string>;
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<string>;
    return new Histogram({ name, help, buckets, labelNames, registers: [this.registry] });
  }

  /** Current value of a counter or gauge (summed over label sets matching `labels`), for tests and the CLI. */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const data = await metric.get();
    let sum = 0;
    for (const v of data.values) {
      const l = v.labels as Record<string, string | number>;
      if (Object.entries(labels).every(([k, want]) => String(l[k]) === want)) {
        if (!('metricName' in v) || v.metricName === name || v.metricName === undefined) sum += v.value;
      }
    }
    return sum;
  }
}

/** Everything a component gets injected: no globals. */
export interface ComponentContext {
  logger: import('./logger').Logger;
  metrics: Metrics;
  clock: import('./clock').Clock;
}
