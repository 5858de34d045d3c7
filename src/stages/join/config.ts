import { z } from 'zod';
import { duration, section } from '../../config/types';

export const joinConfigSchema = section({
  window: duration.pipe(z.number().positive('must be greater than zero')).prefault('24h').describe('How long a window stays open after its last event.'),
  mode: z
    .enum(['final', 'eager'])
    .default('final')
    .describe('final: one record when the window closes. eager: also a record on the first explicit feedback, then updates (versioned).'),
  sweep_interval: duration.prefault('1s').describe('How often expired windows are looked for.'),
  store_sync: z
    .boolean()
    .default(false)
    .describe('fsync every store write. Off survives a process kill (kill -9); on also survives power loss, at a large cost in throughput.'),
});
export type JoinConfig = z.infer<typeof joinConfigSchema>;
