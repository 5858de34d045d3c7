import { z } from 'zod';
import { byteSize, duration, section } from '../../config/types';

export const fileSinkConfigSchema = section({
  enabled: z.boolean().default(true).describe('Write Avro object container files (the embedded default).'),
  directory: z.string().default('data/out').describe('Root directory; one sub-directory per topic, then dt=YYYY-MM-DD/hour=HH.'),
  roll_bytes: byteSize.pipe(z.number().min(1024, 'must be at least 1KiB')).prefault('64MiB').describe('Close a file and start a new one at this size.'),
  roll_interval: duration.prefault('60s').describe('Close a file and start a new one after this long, so readers see data promptly.'),
  codec: z.enum(['null', 'deflate']).default('deflate').describe('Avro block codec.'),
  deflate_level: z
    .number()
    .int()
    .min(1, 'must be 1..9')
    .max(9, 'must be 1..9')
    .default(1)
    .describe('zlib level for the deflate codec: 1 is fastest, 9 smallest. Compression runs on the libuv thread pool, off the event loop. Default: 1 (see README, Performance, for the size/speed trade).'),
  max_open_files: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .default(64)
    .describe('Most files open at once (one per topic and hour). Past it the file opened first is closed, so a replay spanning many hours cannot run out of file descriptors.'),
  check_interval: duration
    .pipe(z.number().min(10, 'must be at least 10ms'))
    .prefault('1s')
    .describe('How often open files are checked against roll_interval.'),
  fsync: z
    .boolean()
    .default(true)
    .describe('fsync each file and its directory before it counts as durable. Exactly-once across machine crashes needs it; turn it off only for throwaway data (benchmarks, tmpfs).'),
});
export type FileSinkConfig = z.infer<typeof fileSinkConfigSchema>;
