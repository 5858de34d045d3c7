import type { Sink } from '../../pipeline/contracts';
import type { ComponentContext } from '../../telemetry/metrics';
import { fileSinkConfigSchema, type FileSinkConfig } from './config';
import { FileSink } from './file-sink';

/** The file sink's component factory: type name, config schema and defaults, create. */
export const fileSinkFactory = {
  type: 'file' as const,
  configSchema: fileSinkConfigSchema,
  /** Every key at its documented default. */
  defaultConfig(): FileSinkConfig {
    return fileSinkConfigSchema.parse(undefined);
  },
  create(config: FileSinkConfig, ctx: ComponentContext): Sink {
    return new FileSink(config, ctx);
  },
};
