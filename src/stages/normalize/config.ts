import { z } from 'zod';
import { section } from '../../config/types';

export const normalizeConfigSchema = section({
  request_id_attributes: z
    .array(z.string().min(1))
    .default(['gen_ai.response.id'])
    .describe(
      'Attributes tried in order for the join key; the span context (trace_id:span_id) is the fallback. ' +
        '`gen_ai.response.id` also matches dialects that carry the response id under their own name (e.g. `ai.response.id`).',
    ),
  user_id_attributes: z
    .array(z.string().min(1))
    .default(['user.id', 'enduser.id', 'gen_ai.user.id', 'ai.telemetry.metadata.userId', 'traceloop.association.properties.user_id'])
    .describe('Attributes tried in order for the user id (pseudonymized by redact). Also the fallback for feedback.actor.'),
  session_id_attributes: z
    .array(z.string().min(1))
    .default([
      'session.id',
      'gen_ai.conversation.id',
      'ai.telemetry.metadata.sessionId',
      'traceloop.association.properties.session_id',
    ])
    .describe('Attributes tried in order for the session id (pseudonymized by redact).'),
  keep_attributes: z
    .array(z.string().min(1))
    .default([])
    .describe('Further span attributes copied (as strings, after redaction) into interaction.extra.'),
  skip_operations: z
    .array(z.string().min(1))
    .default(['execute_tool', 'create_agent'])
    .describe(
      'gen_ai.operation.name values that are not model calls: such spans are dropped with reason not_model_call ' +
        '(invoke_agent is kept: it is what a user sees and rates).',
    ),
});
export type NormalizeConfig = z.infer<typeof normalizeConfigSchema>;
