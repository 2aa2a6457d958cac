/** One row of the bench table: what was measured, the figures, the goal and whether it is met. */
export interface BenchRow {
  what: string;
  /** The figures, with their baseline and spread. */
  measured: string;
  goal: string;
  met: boolean;
  /** What explains a figure (e.g. why a goal is not met). */
  note?: string;
}
