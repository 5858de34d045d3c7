import { z } from 'zod';
import { section } from '../../config/types';

export const redactConfigSchema = section({
  enabled: z.boolean().default(true).describe('Redact PII and secrets before anything is stored. Turning it off is refused unless allow_unredacted is also set.'),
  policy_version: z.string().default('v1').describe('Recorded on every record so consumers know which policy redacted it.'),
  hmac_key_env: z
    .string()
    .default('FEEDBACK_LOOP_HMAC_KEY')
    .describe('Environment variable holding the HMAC key for pseudonyms. Required when any operator is `hash`.'),
});
export type RedactConfig = z.infer<typeof redactConfigSchema>;
