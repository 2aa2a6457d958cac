/**
 * deploy/prometheus/alerts.yaml is valid (`promtool check rules`), its alerts fire when they
 * should (`promtool test rules alerts.test.yaml`), and every metric the rules and the Grafana
 * dashboard query is one the worker exports. promtool is built from the Prometheus Go module by
 * scripts/ensure-go-test-servers.sh.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rules = path.join(root, 'deploy/prometheus/alerts.yaml');
const ruleTests = path.join(root, 'deploy/prometheus/alerts.test.yaml');
const dashboard = path.join(root, 'deploy/grafana/key-rotator.json');

function promtool(): string {
  const file = path.join(process.env.TOOLS_DIR ?? path.join(root, '.tools'), 'bin', 'promtool');
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: run \`bash scripts/ensure-go-test-servers.sh promtool\` (the first build takes minutes)`,
    );
  }
  return file;
}

async function run(args: string[]): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(promtool(), args, { cwd: path.dirname(rules) });
  return stdout + stderr;
}

/** The metric names the worker's code defines (key_rotator_*). */
async function exportedMetrics(): Promise<Set<string>> {
  const source = await readFile(path.join(root, 'src/workflows/rotation-metrics.ts'), 'utf8');
  return new Set(source.match(/key_rotator_[a-z_]+/g));
}

describe('Prometheus alerts and Grafana dashboard', () => {
  it('alerts.yaml passes promtool check rules', async () => {
    expect(await run(['check', 'rules', rules])).toMatch(/SUCCESS: 5 rules found/);
  }, 60_000);

  it('the alerts fire as alerts.test.yaml expects (first failure, hold for 6 h, old key, expiring key)', async () => {
    expect(await run(['test', 'rules', ruleTests])).toMatch(/SUCCESS/);
  }, 60_000);

  it('the rules and the dashboard query only metrics the worker exports', async () => {
    const exported = await exportedMetrics();
    const text = (await readFile(rules, 'utf8')) + (await readFile(dashboard, 'utf8'));
    const used = new Set(text.match(/key_rotator_[a-z_]+/g));
    expect(used.size).toBeGreaterThanOrEqual(7);
    for (const name of used) expect(exported, name).toContain(name);
  });
});
