import { z } from 'zod';
import { section } from '../../config/types';

export const kafkaSourceConfigSchema = section({
  enabled: z.boolean().default(false).describe("Consume the collector kafkaexporter's topics."),
  brokers: z.array(z.string()).default(['127.0.0.1:9092']).describe('Bootstrap brokers, host:port.'),
  group_id: z.string().default('otel-feedback-loop').describe('Consumer group id.'),
  traces_topic: z.string().default('otlp_spans').describe('Topic holding OTLP traces (kafkaexporter default otlp_spans).'),
  logs_topic: z.string().default('otlp_logs').describe('Topic holding OTLP logs (kafkaexporter default otlp_logs).'),
  encoding: z
    .enum(['otlp_proto', 'otlp_json'])
    .default('otlp_proto')
    .describe('Encoding the kafkaexporter was configured with.'),
});
export type KafkaSourceConfig = z.infer<typeof kafkaSourceConfigSchema>;
