import { z } from 'zod';
import { section } from '../../config/types';

export const kafkaSinkConfigSchema = section({
  enabled: z.boolean().default(false).describe('Produce Avro records to Kafka topics.'),
  brokers: z.array(z.string()).default(['127.0.0.1:9092']).describe('Bootstrap brokers, host:port.'),
  topics: section({
    labeled_interactions: z.string().default('feedback.labeled_interactions.v1'),
    annotation_tasks: z.string().default('feedback.annotation_tasks.v1'),
    training_examples: z.string().default('feedback.training_examples.v1'),
    orphaned_feedback: z.string().default('feedback.orphaned_feedback.v1'),
    dead_letters: z.string().default('feedback.dead_letters.v1'),
  }).describe('Kafka topic name for each logical topic.'),
  schema_registry_url: z
    .string()
    .optional()
    .describe('Confluent-compatible schema registry. Set: Confluent wire format; unset: Avro single-object encoding.'),
});
export type KafkaSinkConfig = z.infer<typeof kafkaSinkConfigSchema>;
