import { createHash } from 'node:crypto';
import type { ComponentContext } from '../telemetry/metrics';
import type { DeadLetter, PipelineEvent, RedactionSummary } from '../model';
import type { LogsData, TracesData } from '../otlp/types';
import type { IngestConsumer, IngestMeta, IngestResult } from './contracts';
import type { JoinStage, RedactedEvent } from '../stages/join/join';
import type { Outbox } from './outbox';
import { ERROR_CODES, RetryableError, errorMessage } from './errors';
import { deadLetterDraft } from './decide';

/** What the ingest path needs from the normalize and redact stages. */
export interface NormalizeStage {
  traces(data: TracesData): { events: PipelineEvent[]; received: number; dropped: Record<string, number> };
  logs(data: LogsData): { events: PipelineEvent[]; received: number; dropped: Record<string, number> };
}
export interface RedactStage {
  redact(event: PipelineEvent): { event: PipelineEvent; summary: RedactionSummary };
}

/**
 * The stateless ingest path: decode happened in the source; here
 * normalize → redact → join. It resolves only once the join has the events
 * on disk, so the source's acknowledgement means "durable".
 */
export class Ingest implements IngestConsumer {
  private readonly counters;
  private draining = false;

  constructor(
    private readonly normalize: NormalizeStage,
    private redactor: RedactStage,
    private readonly join: JoinStage,
    private readonly outbox: Outbox,
    ctx: ComponentContext,
    private readonly retryAfterSeconds: number,
  ) {
    this.counters = ctx.metrics.component('ingest');
  }

  /** Swaps the redaction policy (live reload); the next request uses the new one. */
  setRedactor(redactor: RedactStage): void {
    this.redactor = redactor;
  }

  /** Stop taking input (shutdown): receivers answer 503 from now on. */
  drain(): void {
    this.draining = true;
  }

  ready(): boolean {
    return !this.draining && this.outbox.accepting();
  }

  consumeTraces(data: TracesData, meta: IngestMeta): Promise<IngestResult> {
    this.checkReady();
    return this.process(this.normalize.traces(data), meta);
  }

  consumeLogs(data: LogsData, meta: IngestMeta): Promise<IngestResult> {
    this.checkReady();
    return this.process(this.normalize.logs(data), meta);
  }

  async deadLetter(reason: string, detail: string, meta: IngestMeta & { payload?: Uint8Array }): Promise<void> {
    // The payload itself is never kept: it could not be decoded, so it could
    // not be redacted either. Its hash lets an operator match it to a capture.
    const dl: DeadLetter = {
      reason,
      detail,
      component: meta.source,
      receivedMs: meta.receivedMs,
      contentType: meta.encoding,
      payloadSha256: meta.payload ? createHash('sha256').update(meta.payload).digest('hex') : undefined,
    };
    this.counters.dropped(reason);
    await this.outbox.append([deadLetterDraft(dl)]);
  }

  private checkReady(): void {
    if (this.draining) throw new RetryableError(ERROR_CODES.SHUTTING_DOWN, 'the service is shutting down', this.retryAfterSeconds);
    if (!this.outbox.accepting()) {
      throw new RetryableError(
        ERROR_CODES.PIPELINE_FULL,
        `the sink is behind (${this.outbox.backlog()} records waiting${this.outbox.lastDrainError() ? `; last error: ${this.outbox.lastDrainError()}` : ''})`,
        this.retryAfterSeconds,
      );
    }
  }

  private async process(
    n: { events: PipelineEvent[]; received: number; dropped: Record<string, number> },
    meta: IngestMeta,
  ): Promise<IngestResult> {
    this.counters.received(n.received);
    for (const [reason, count] of Object.entries(n.dropped)) this.counters.dropped(reason, count);
    const items: RedactedEvent[] = [];
    const failed: DeadLetter[] = [];
    for (const ev of n.events) {
      try {
        const { event, summary } = this.redactor.redact(ev);
        items.push({ event, redaction: summary });
      } catch (err) {
        // Fail closed: the event does not pass; only metadata is dead-lettered.
        this.counters.error(ERROR_CODES.REDACTION_FAILED);
        failed.push({
          reason: ERROR_CODES.REDACTION_FAILED,
          detail: `redaction failed for a ${ev.kind} event: ${errorMessage(err).slice(0, 200)}`,
          component: 'redact',
          receivedMs: meta.receivedMs,
          contentType: meta.encoding,
        });
      }
    }
    await this.join.accept(items);
    if (failed.length) await this.outbox.append(failed.map(deadLetterDraft));
    this.counters.emitted(items.length);
    return failed.length
      ? {
          accepted: n.received - failed.length,
          rejected: failed.length,
          rejectionMessage: `${failed.length} item(s) failed redaction and were dead-lettered without content`,
        }
      : { accepted: n.received, rejected: 0 };
  }
}
