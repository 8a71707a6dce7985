/**
 * The worker's scrape declares the SDK's workflow-task failure counter before the SDK has created it,
 * and leaves the SDK's own family alone once it has.
 */
import { withDeclaredSdkFamilies } from '../../src/observability/metrics-endpoint';
import { metricNames, parseSamples } from '../harness/prometheus';

const NAME = 'temporal_workflow_task_execution_failed_total';

test('absent from the SDK: declared as a counter, with no sample', () => {
  const text = withDeclaredSdkFamilies('# HELP temporal_num_pollers pollers\n# TYPE temporal_num_pollers gauge\ntemporal_num_pollers{task_queue="q"} 2\n');
  expect(text).toContain(`# TYPE ${NAME} counter\n`);
  expect(metricNames(text).has(NAME)).toBe(true);
  expect(parseSamples(text).filter((s) => s.name === NAME)).toEqual([]);
});

test('once the SDK reports it: not declared twice', () => {
  const sdk = `# HELP ${NAME} wft failed\n# TYPE ${NAME} counter\n${NAME}{task_queue="q",failure_reason="NonDeterminismError"} 3\n`;
  expect(withDeclaredSdkFamilies(sdk)).toBe(sdk);
  const samplesOnly = `${NAME}{task_queue="q",failure_reason="WorkflowError"} 1\n`;
  expect(withDeclaredSdkFamilies(samplesOnly)).toBe(samplesOnly);
});
