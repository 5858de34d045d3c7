export { fileSinkConfigSchema, type FileSinkConfig } from './config';
export { fileSinkFactory } from './factory';
export { FileSink } from './file-sink';
export { finishedFileName, partitionOf, tmpFileName } from './layout';
