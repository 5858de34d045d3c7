import type { Clock, Logger } from '../../telemetry';

/**
 * Warnings about bad requests, at most one per reason per interval: a
 * misbehaving client must not flood the log. The next line reports how many
 * were suppressed. Callers pass reasons and metadata only, never content.
 */
export class RateLimitedWarn {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = 10_000,
  ) {}

  warn(reason: string, fields: Record<string, string | number | boolean>, msg: string): void {
    const now = this.clock.now();
    const entry = this.last.get(reason);
    if (entry && now - entry.atMs < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(reason, { atMs: now, suppressed: 0 });
    this.logger.warn({ component: 'otlp_http', reason, suppressed, ...fields }, msg);
  }
}
