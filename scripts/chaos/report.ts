/**
 * The figures of a chaos run and the one table they are printed as: rotations, kills, server
 * restarts, faults injected by kind, monitor checks, violations by kind, duration and rotation
 * times. Details of violations (labels only) follow the table when there are any.
 */
import type { ChaosWorkerFigures } from './worker-process.js';
import type { MonitorFigures } from './monitor.js';
import type { RotationRun } from './rotation-runner.js';
import { VIOLATION_KINDS, type Violation, type ViolationKind } from './violations.js';

export interface ChaosReport {
  /** The command that reproduces this run. */
  command: string;
  seed: number;
  rotationsAsked: number;
  managedKeys: number;
  destinationTypes: string[];
  runs: RotationRun[];
  worker: ChaosWorkerFigures;
  serverRestarts: number;
  /** Injected faults by source and kind, e.g. `emulator server-error-5xx`, `vault 5xx`. */
  faults: Record<string, number>;
  monitor: Omit<MonitorFigures, 'heldKeyHashes'>;
  historiesScanned: number;
  filesScanned: number;
  violations: Record<ViolationKind, number>;
  violationList: readonly Violation[];
  durationMs: number;
  /** Where the run's files (logs, database, config) are. */
  outDir: string;
  passed: boolean;
}

/** Nearest-rank percentile of `values` (ms), undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;
}

function minutesAndSeconds(ms: number): string {
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}m ${String(total % 60).padStart(2, '0')}s`;
}

export function reportRows(report: ChaosReport): [string, string][] {
  const count = (outcome: RotationRun['outcome']) => report.runs.filter((r) => r.outcome === outcome).length;
  const finished = report.runs.filter((r) => r.outcome !== 'unfinished' && r.outcome !== 'not-started');
  const times = report.runs.filter((r) => r.outcome === 'succeeded').map((r) => r.durationMs ?? 0);
  const violationTotal = Object.values(report.violations).reduce((a, b) => a + b, 0);
  const rows: [string, string][] = [
    ['rotations finished / asked', `${finished.length} / ${report.rotationsAsked}`],
    ['  succeeded', String(count('succeeded'))],
    [
      '  rolled back / failed / skipped / unfinished',
      `${count('rolled-back')} / ${count('failed')} / ${count('skipped')} / ${count('unfinished') + count('not-started')}`,
    ],
    [
      '  started through schedules / key-rotator rotate',
      `${report.runs.filter((r) => r.via === 'schedule').length} / ${report.runs.filter((r) => r.via === 'cli').length}`,
    ],
    ['managed keys', String(report.managedKeys)],
    ['destinations per key', report.destinationTypes.join(', ')],
    ['worker SIGKILLs', String(report.worker.kills)],
    ['worker starts / exits on its own', `${report.worker.starts} / ${report.worker.unexpectedExits}`],
    ['Temporal server restarts', String(report.serverRestarts)],
  ];
  for (const kind of Object.keys(report.faults).sort())
    rows.push([`fault: ${kind}`, String(report.faults[kind])]);
  rows.push(
    ['monitor checks (every destination read)', String(report.monitor.checks)],
    ['monitor readings / inconclusive', `${report.monitor.readings} / ${report.monitor.inconclusive}`],
    ['monitor read errors', String(report.monitor.readErrors)],
    ['histories / files searched for keys', `${report.historiesScanned} / ${report.filesScanned}`],
  );
  for (const kind of Object.keys(VIOLATION_KINDS) as ViolationKind[]) {
    rows.push([`violation: ${kind}`, String(report.violations[kind])]);
  }
  rows.push(
    ['duration', minutesAndSeconds(report.durationMs)],
    ['rotation time p50 / p95', `${seconds(percentile(times, 50))} / ${seconds(percentile(times, 95))}`],
    ['result', report.passed ? 'PASS (0 violations)' : `FAIL (${violationTotal} violations)`],
  );
  return rows;
}

export function formatReport(report: ChaosReport): string {
  const rows = reportRows(report);
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = [
    `chaos run: ${report.command}`,
    `${'figure'.padEnd(width)}  value`,
    `${'-'.repeat(width)}  ${'-'.repeat(24)}`,
    ...rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`),
  ];
  if (report.violationList.length > 0) {
    lines.push('', 'violations (first 20):');
    for (const v of report.violationList.slice(0, 20)) {
      lines.push(`  +${(v.atMs / 1000).toFixed(1)}s ${v.kind}: ${v.detail}`);
    }
  }
  lines.push('', `files of this run: ${report.outDir}`);
  return lines.join('\n');
}
