import { join } from 'node:path';
import type { Config } from '../config';
import type { Lifecycle, Sink } from './contracts';
import { Metrics, systemClock, type Clock, type ComponentContext, type Logger } from '../telemetry';
import { AdminServer } from '../telemetry/admin-server';
import { StateStore } from '../stages/join/store';
import { JoinStage } from '../stages/join/join';
import { Outbox } from './outbox';
import { Ingest } from './ingest';
import { createDecider, type Decider } from '../stages/sample';
import { ConfigError, loadConfig } from '../config';
import { resolveHmacKey } from './secrets';
import { createNormalizer } from '../stages/normalize';
import { createRedactor } from '../stages/redact';
import { otlpHttpReceiverFactory } from '../sources/otlp-http';
import { fileSinkFactory } from '../sinks/file';
import { kafkaSinkFactory } from '../sinks/kafka';
import { kafkaSourceFactory } from '../sources/kafka';
import { errorMessage } from './errors';
import { createScaleOut } from '../scaleout';
import { startSelfTracing, type SelfTracing } from '../telemetry/self-tracing';

/** Sections that take effect on reload; anything else needs a restart. */
const RELOADABLE = ['label', 'sample', 'redact'] as const;

export interface ReloadResult {
  ok: boolean;
  /** Validation problems, when the new config was rejected. */
  problems?: string[];
  /** Top-level sections that changed but need a restart to take effect. */
  needsRestart: string[];
}

export interface ServiceOptions {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  clock?: Clock;
  metrics?: Metrics;
}

/**
 * Builds the components from a validated config and runs their lifecycle in
 * data-flow order: start sinks before sources, stop sources before sinks.
 */
export class Service {
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private started = false;
  private stopped: Promise<void> | undefined;
  private decider!: Decider;
  private readonly reloads;
  private env: NodeJS.ProcessEnv = {};

  private constructor(
    public config: Config,
    readonly ctx: ComponentContext,
    readonly store: StateStore,
    readonly sink: Sink,
    readonly outbox: Outbox,
    readonly join: JoinStage,
    readonly ingest: Ingest,
    readonly sources: Lifecycle[],
    readonly admin: AdminServer | undefined,
    private readonly tracing: SelfTracing,
  ) {
    this.reloads = {
      total: ctx.metrics.counter('feedback_loop_config_reloads_total', 'Config reloads, by result (success, failure).', ['result']),
      lastOk: ctx.metrics.gauge('feedback_loop_config_last_reload_successful', '1 if the last config reload succeeded (or none was tried), else 0.'),
    };
    this.reloads.lastOk.set(1);
  }

  static async create(config: Config, options: ServiceOptions): Promise<Service> {
    const metrics = options.metrics ?? new Metrics({ processMetrics: true });
    const ctx: ComponentContext = { logger: options.logger, metrics, clock: options.clock ?? systemClock };
    const env = await resolveHmacKey(config, options.env, options.logger);
    const store = new StateStore(join(config.service.data_dir, 'state'), {
      sync: config.join.store_sync,
      writeBufferBytes: config.join.store_write_buffer,
      cacheBytes: config.join.store_cache,
    });
    const sink = config.sinks.kafka.enabled ? kafkaSinkFactory.create(config.sinks.kafka, ctx) : fileSinkFactory.create(config.sinks.file, ctx);
    const outbox = new Outbox(store, sink, ctx, { chunk: 500, maxBacklog: 200_000 });
    const decider = createDecider({ label: config.label, sample: config.sample }, ctx);
    // Scale-out (src/scaleout/README.md): the join stage hands events to Kafka; the partitioned join runs as the first "source".
    const scaleOut = config.scale_out.enabled ? createScaleOut(config, store, outbox, (r) => decider.decide(r), ctx) : undefined;
    const joinStage = scaleOut?.stage ?? new JoinStage(config.join, store, outbox, (r) => decider.decide(r), ctx, config.redact.policy_version);
    const ingest = new Ingest(
      createNormalizer(config.normalize),
      createRedactor(config.redact, env),
      joinStage,
      outbox,
      ctx,
      config.sources.otlp_http.retry_after_seconds,
    );
    const tracing = startSelfTracing(config, options.logger, metrics);
    const sources: Lifecycle[] = scaleOut ? [scaleOut.runtime] : [];
    if (config.sources.otlp_http.enabled) {
      sources.push(otlpHttpReceiverFactory.create(config.sources.otlp_http, ingest, ctx, { env: options.env, tracer: tracing.tracer }));
    }
    if (config.sources.kafka.enabled) sources.push(kafkaSourceFactory.create(config.sources.kafka, ingest, ctx));
    const service: Service = new Service(config, ctx, store, sink, outbox, joinStage, ingest, sources, undefined, tracing);
    service.decider = decider;
    service.env = options.env;
    if (config.telemetry.admin.enabled) {
      (service as { admin: AdminServer | undefined }).admin = new AdminServer(
        config.telemetry.admin.endpoint,
        metrics,
        { ready: () => service.readiness() },
        options.logger,
      );
    }
    return service;
  }

  readiness(): { ready: boolean; reason?: string } {
    if (!this.started) return { ready: false, reason: 'starting' };
    if (this.stopped) return { ready: false, reason: 'draining' };
    if (!this.store.isOpen()) return { ready: false, reason: 'state store closed' };
    if (!this.sink.ready()) return { ready: false, reason: `sink ${this.sink.name} not ready` };
    if (!this.ingest.ready()) return { ready: false, reason: `sink backlog ${this.outbox.backlog()} records` };
    return { ready: true };
  }

  async start(): Promise<void> {
    await this.admin?.start();
    await this.store.open();
    await this.sink.start();
    await this.outbox.init();
    await this.join.init();
    this.sweepTimer = setInterval(() => this.tick(), this.config.join.sweep_interval);
    this.sweepTimer.unref();
    for (const s of this.sources) await s.start();
    this.started = true;
    this.ctx.logger.info(
      { openWindows: this.join.open(), outboxBacklog: this.outbox.backlog(), dataDir: this.config.service.data_dir },
      'pipeline started',
    );
  }

  /** The current label/sample/route plan, in words. */
  describePolicy(): string {
    return this.decider.describe();
  }

  /**
   * Re-reads the config file and applies what can change live — label,
   * sample/route and redaction policy. The new config is validated first; an
   * invalid one is rejected with its problems and the running policy is kept.
   * Open windows are untouched (they live in the store). Budgets and
   * near-duplicate memory start afresh with the new plan.
   */
  async reload(path: string): Promise<ReloadResult> {
    let next: Config;
    try {
      next = loadConfig(path, this.env);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems.map((p) => `${p.path || '(root)'}: ${p.message}`) : [errorMessage(err)];
      return this.reloadFailed(path, problems);
    }
    const needsRestart = (Object.keys(next) as Array<keyof Config>).filter(
      (k) => !(RELOADABLE as readonly string[]).includes(k) && JSON.stringify(next[k]) !== JSON.stringify(this.config[k]),
    );
    try {
      const env = await resolveHmacKey(next, this.env, this.ctx.logger);
      const redactor = createRedactor(next.redact, env);
      const decider = createDecider({ label: next.label, sample: next.sample }, this.ctx);
      // Swap between two store sections, so no batch sees half of each policy.
      await this.store.exclusive(async () => {
        this.ingest.setRedactor(redactor);
        this.join.setDecide((r) => decider.decide(r));
      });
      this.decider = decider;
      this.config = { ...this.config, label: next.label, sample: next.sample, redact: next.redact };
    } catch (err) {
      return this.reloadFailed(path, [errorMessage(err)]);
    }
    this.reloads.total.labels('success').inc();
    this.reloads.lastOk.set(1);
    this.ctx.logger.info({ config: path, needsRestart }, needsRestart.length ? 'config reloaded; some changes need a restart' : 'config reloaded');
    return { ok: true, needsRestart };
  }

  private reloadFailed(path: string, problems: string[]): ReloadResult {
    this.reloads.total.labels('failure').inc();
    this.reloads.lastOk.set(0);
    this.ctx.logger.error({ config: path, problems }, 'config reload rejected; the running config is kept');
    return { ok: false, problems, needsRestart: [] };
  }

  /** Close due windows and retry/prune the outbox; never overlaps itself. */
  private tick(): void {
    if (this.sweeping) return;
    this.sweeping = (async () => {
      try {
        const startTime = Date.now();
        const closed = await this.join.sweep();
        if (closed > 0) {
          // A span only for sweeps that closed something, so an idle service emits none.
          const span = this.tracing.tracer.startSpan('join sweep', { startTime });
          span.setAttribute('feedback_loop.windows_closed', closed);
          span.end();
        }
        this.outbox.notify();
        await this.outbox.prune();
      } catch (err) {
        this.ctx.logger.error({ err: errorMessage(err) }, 'sweep failed; will retry');
      }
    })().finally(() => {
      this.sweeping = undefined;
    });
  }

  /** Stops intake, lets in-flight requests finish, flushes the sink, closes the store. Runs once. */
  shutdown(): Promise<void> {
    this.stopped ??= this.doShutdown();
    return this.stopped;
  }

  private async doShutdown(): Promise<void> {
    // Sources first: they refuse new requests (503) and let in-flight ones finish
    // (their data is acknowledged and durable); only then does ingest close.
    for (const s of [...this.sources].reverse()) await s.shutdown();
    this.ingest.drain();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping;
    if (this.store.isOpen()) {
      // Windows stay on disk and resume after restart; what was emitted is made durable now.
      await this.store.exclusive(async () => undefined);
      try {
        await this.outbox.flush();
      } catch (err) {
        this.ctx.logger.error({ err: errorMessage(err) }, 'could not flush the sink; records stay in the outbox for the next start');
      }
    }
    await this.sink.shutdown();
    await this.store.close();
    await this.admin?.shutdown();
    await this.tracing.shutdown();
    this.ctx.logger.info('shutdown complete');
  }
}
