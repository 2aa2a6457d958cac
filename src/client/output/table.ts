/** Tables: aligned columns for a terminal, tab-separated lines (same header) for pipes. */

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
}

export interface RenderTableOptions {
  /** Pad columns with spaces (terminal) instead of separating them with tabs (pipes). */
  aligned: boolean;
}

export function renderTable<Row>(columns: Column<Row>[], rows: Row[], options: RenderTableOptions): string[] {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => c.value(row)))];
  if (!options.aligned) return cells.map((line) => line.join('\t'));
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  return cells.map((line) =>
    line
      .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
