import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../telemetry/metrics';

/** The scale-out mode's own metrics (the join's and the outbox's are reported per process as usual). */
export interface ScaleOutMetrics {
  restoreSeconds: Histogram<string>;
  restoredRecords: Counter<string>;
  owned: Gauge<string>;
  openWindows: Gauge<string>;
  transactions: Counter<string>;
  changelogRecords: Counter<string>;
  outputRecords: Counter<string>;
  repartitioned: Counter<string>;
  forwarded: Counter<string>;
  consumed: Counter<string>;
  undecodable: Counter<string>;
  resets: Counter<string>;
}

export function scaleOutMetrics(m: Metrics): ScaleOutMetrics {
  return {
    restoreSeconds: m.histogram(
      'feedback_loop_scaleout_restore_seconds',
      'Time to restore a partition store from the changelog when this instance took the partition, by start (checkpoint or beginning).',
      [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      ['from'],
    ),
    restoredRecords: m.counter('feedback_loop_scaleout_restored_records_total', 'Changelog records applied while restoring partition stores.'),
    owned: m.gauge('feedback_loop_scaleout_partitions_owned', 'Join partitions this instance owns and has restored.'),
    // The join's own feedback_loop_join_open_windows is one gauge per process, which every partition's join sets.
    openWindows: m.gauge('feedback_loop_scaleout_open_windows', 'Windows open in each join partition this instance owns.', ['partition']),
    transactions: m.counter('feedback_loop_scaleout_transactions_total', 'Kafka transactions of the partitioned join, by result (committed, failed).', ['result']),
    changelogRecords: m.counter('feedback_loop_scaleout_changelog_records_total', 'Store changes written to the changelog topic (committed).'),
    outputRecords: m.counter('feedback_loop_scaleout_output_records_total', 'Records written to the output topics by the partitioned join (committed).'),
    repartitioned: m.counter('feedback_loop_scaleout_repartitioned_total', 'Messages the ingest produced to the repartition topic, by type.', ['type']),
    forwarded: m.counter('feedback_loop_scaleout_forwarded_total', 'Messages a partition produced to another (span-keyed events forwarded by alias, session notices), by kind.', ['kind']),
    consumed: m.counter('feedback_loop_scaleout_consumed_total', 'Repartition messages the partitioned join applied to its partition stores.'),
    undecodable: m.counter('feedback_loop_scaleout_undecodable_total', 'Repartition messages that could not be decoded (dead-lettered).'),
    resets: m.counter('feedback_loop_scaleout_partition_resets_total', 'Partition stores thrown away and restored after a failed transaction or fencing, by reason.', ['reason']),
  };
}
