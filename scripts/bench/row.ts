/** One row of the bench table: what was measured, the figures, the goal and whether it is met. */
export interface BenchRow {
  what: string;
  /** The figures, with their baseline and spread. */
  measured: string;
  goal: string;
  /** Whether the goal is met; undefined for a row that only explains another (a baseline). */
  met?: boolean;
  /** What explains a figure (e.g. why a goal is not met). */
  note?: string;
}
