import type { Metrics } from '../../telemetry/metrics';

/** The join's own metrics (beside the component counters every stage has). */
export function joinMetrics(mx: Metrics) {
  return {
    joined: mx.counter('feedback_loop_join_joined_total', 'Windows closed with an interaction and at least one feedback signal.'),
    closed: mx.counter('feedback_loop_join_closed_total', 'Windows closed, by reason.', ['reason']),
    orphaned: mx.counter('feedback_loop_join_orphaned_total', 'Feedback emitted without its interaction, by reason.', ['reason']),
    late: mx.counter('feedback_loop_join_late_total', 'Events that arrived after their window closed, by kind.', ['kind']),
    duplicate: mx.counter('feedback_loop_join_duplicate_total', 'Events delivered again and counted once, by kind.', ['kind']),
    implicit: mx.counter('feedback_loop_join_implicit_signals_total', 'Implicit signals derived, by name.', ['name']),
    open: mx.gauge('feedback_loop_join_open_windows', 'Windows currently open.'),
    feedbackDelay: mx.histogram(
      'feedback_loop_join_feedback_delay_seconds',
      'Time from the end of an interaction to a feedback signal about it (event time).',
      [1, 10, 60, 300, 1800, 3600, 6 * 3600, 86400, 7 * 86400],
    ),
    loopLatency: mx.histogram(
      'feedback_loop_join_loop_latency_seconds',
      'Time from the arrival of the latest explicit signal to the record that carries it.',
      [0.01, 0.05, 0.1, 0.5, 1, 5, 60, 600, 3600, 86400],
    ),
  };
}

export type JoinMetrics = ReturnType<typeof joinMetrics>;
