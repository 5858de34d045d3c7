import { z } from 'zod';
import { byteSize, duration, section } from '../../config/types';

export const fileSinkConfigSchema = section({
  enabled: z.boolean().default(true).describe('Write Avro object container files (the embedded default).'),
  directory: z.string().default('data/out').describe('Root directory; one sub-directory per topic, then dt=YYYY-MM-DD/hour=HH.'),
  roll_bytes: byteSize.pipe(z.number().min(1024, 'must be at least 1KiB')).prefault('64MiB').describe('Close a file and start a new one at this size.'),
  roll_interval: duration.prefault('60s').describe('Close a file and start a new one after this long, so readers see data promptly.'),
  codec: z.enum(['null', 'deflate']).default('deflate').describe('Avro block codec.'),
});
export type FileSinkConfig = z.infer<typeof fileSinkConfigSchema>;
