/** One detection: [start, end) in UTF-16 code units of the scanned text. Never leaves the redactor. */
export interface Span {
  start: number;
  end: number;
  type: string;
  /** Lower wins when detections overlap (see entities.ts PRIORITY). */
  priority: number;
}

/** Which built-in detectors are switched on. */
export type EnabledSet = ReadonlySet<string>;

/** A detector family: appends what it finds, in any order, overlaps allowed. Must run in linear time. */
export type Finder = (text: string, enabled: EnabledSet, out: Span[]) => void;
