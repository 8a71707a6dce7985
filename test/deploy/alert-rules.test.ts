/**
 * The alert rules that say a refinement is stuck, unit-tested by promtool against series that fire
 * and series that do not (deploy/prometheus/alerts.test.yml), and shown on the dashboard.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const deploy = path.join(__dirname, '../../deploy');

test('promtool: the stuck-refinement alerts fire on their series and stay quiet on the others', () => {
  const promtool = execFileSync('bash', [path.join(__dirname, '../../scripts/ensure-promtool.sh')], { encoding: 'utf8' }).trim();
  const out = execFileSync(promtool, ['test', 'rules', path.join(deploy, 'prometheus/alerts.test.yml')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out).toContain('SUCCESS');
  const tests = fs.readFileSync(path.join(deploy, 'prometheus/alerts.test.yml'), 'utf8');
  for (const alert of ['RefineryWorkflowTaskFailures', 'RefineryWorkflowNonDeterminism', 'RefineryRefinementsStalled']) {
    expect(tests).toContain(`alertname: ${alert}`);
  }
});

test('the dashboard shows workflow task failures by task queue, non-determinism and stalled refinements', () => {
  const dashboard = JSON.parse(fs.readFileSync(path.join(deploy, 'grafana/refinery.json'), 'utf8')) as {
    panels: { id: number; title: string; targets?: { expr: string }[] }[];
  };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  expect(exprs).toContainEqual(expect.stringMatching(/sum by \(task_queue, failure_reason\) \(rate\(temporal_workflow_task_execution_failed_total/));
  expect(exprs).toContainEqual(expect.stringContaining('failure_reason="NonDeterminismError"'));
  expect(exprs).toContainEqual(expect.stringContaining('refinery_refinements_stalled'));
  const ids = dashboard.panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
});
