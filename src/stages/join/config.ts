import { z } from 'zod';
import { byteSize, duration, section } from '../../config/types';

export const joinConfigSchema = section({
  window: duration.pipe(z.number().positive('must be greater than zero')).prefault('24h').describe('How long a window stays open after its last event.'),
  mode: z
    .enum(['final', 'eager'])
    .default('final')
    .describe('final: one record when the window closes. eager: also a record on the first explicit feedback, then updates (versioned).'),
  sweep_interval: duration.prefault('1s').describe('How often expired windows are looked for.'),
  late_retention: duration
    .prefault('24h')
    .describe('How long a closed request id is remembered, so late feedback is recognized (emitted as orphaned with reason "late") and redelivered input is not joined twice.'),
  max_windows_per_sweep: z.number().int().positive().default(2000).describe('Windows closed per store batch while sweeping; bounds the latency a sweep adds to ingestion.'),
  max_event_time_skew: duration
    .prefault('5m')
    .describe('Event times further than this in the future are not trusted to advance the event-time watermark.'),
  implicit: section({
    enabled: z.boolean().default(true).describe('Derive implicit signals: retry/reformulation, moved on, edit distance, abandonment.'),
    retry_window: duration.prefault('5m').describe('A new interaction in the same session within this time may be a retry of the previous one.'),
    retry_similarity: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Trigram similarity of the two prompts at or above which the new one counts as a retry (reformulation) of the previous.'),
  }),
  store_write_buffer: byteSize
    .prefault('64MiB')
    .describe('LevelDB memtable size. Larger absorbs bursts without write stalls; costs up to twice this in memory.'),
  store_cache: byteSize.prefault('16MiB').describe('LevelDB block cache for reading windows back.'),
  store_sync: z
    .boolean()
    .default(false)
    .describe('fsync every store write. Off survives a process kill (kill -9); on also survives power loss, at a large cost in throughput.'),
});
export type JoinConfig = z.infer<typeof joinConfigSchema>;
