import { z } from 'zod';
import { section } from '../../config/types';

export const normalizeConfigSchema = section({
  request_id_attributes: z
    .array(z.string().min(1))
    .default(['gen_ai.response.id'])
    .describe('Attributes tried in order for the join key; the span context (trace_id:span_id) is the fallback.'),
  user_id_attributes: z
    .array(z.string().min(1))
    .default(['user.id', 'enduser.id', 'gen_ai.user.id'])
    .describe('Attributes tried in order for the user id (pseudonymized by redact).'),
  session_id_attributes: z
    .array(z.string().min(1))
    .default(['session.id', 'gen_ai.conversation.id'])
    .describe('Attributes tried in order for the session id (pseudonymized by redact).'),
  keep_attributes: z
    .array(z.string().min(1))
    .default([])
    .describe('Further span attributes copied (as strings, after redaction) into interaction.extra.'),
});
export type NormalizeConfig = z.infer<typeof normalizeConfigSchema>;
