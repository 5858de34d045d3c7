export { DiscardSink } from './discard-sink';
