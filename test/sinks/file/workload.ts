// The entries the crash tests write: several topics and hours, so that when
// the "crash" happens some files are finished and others open, and finished
// files hold seqs above the first seq of an open file (the case the skip index
// exists for).

import { HOUR, T0, entry, type TestEntry } from './helpers';

/** seq 1..3 (three topics), meant to be flushed before the rest. */
export function earlyEntries(): TestEntry[] {
  return [entry(1, 'training_examples', T0), entry(2, 'annotation_tasks', T0 + HOUR), entry(3, 'dead_letters', T0)];
}

/**
 * seq 4: a small dead letter whose file stays open; 5..44: big labeled
 * interactions that roll at 24KiB; 45: an annotation task in the next hour;
 * 46..49: orphans.
 */
export function lateEntries(): TestEntry[] {
  const out = [entry(4, 'dead_letters', T0, false)];
  for (let seq = 5; seq <= 44; seq++) out.push(entry(seq, 'labeled_interactions', T0));
  out.push(entry(45, 'annotation_tasks', T0 + HOUR));
  for (let seq = 46; seq <= 49; seq++) out.push(entry(seq, 'orphaned_feedback', T0 + 2 * HOUR));
  return out;
}

export function crashWorkload(): TestEntry[] {
  return [...earlyEntries(), ...lateEntries()];
}
