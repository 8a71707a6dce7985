/**
 * `refinery deploy ...`: the operator's commands for Worker Versioning (docs/deploying.md#worker-versioning).
 * Which build of the workers new refinements start on (promote, ramp, rollback), how far old builds
 * have drained, and when an old build's workers may stop (retire). Each refinement stays on the
 * build it started on whatever these commands do. They talk to Temporal directly, with the
 * TEMPORAL_* settings of the workers; what they load is imported when one of them runs.
 */
import type { Command } from 'commander';
import type { DeploymentClient, DeploymentView, PollerView } from '../client/deployments';
import { providerTaskQueue } from '../workflows/messages';
import { EXIT, json, print } from './program';

interface DeployOptions {
  deployment?: string;
}

export function addDeployCommands(program: Command): void {
  const deploy = program
    .command('deploy')
    .description("Worker Versioning: which build new refinements start on (talks to Temporal with the TEMPORAL_* settings)")
    .option('--deployment <name>', 'the Worker Deployment (default: $TEMPORAL_DEPLOYMENT_NAME, else refinery)');
  const options = () => deploy.opts<DeployOptions>();

  deploy
    .command('status')
    .description('versions of the deployment: current, ramping, draining or drained, and who polls')
    .action(() =>
      withDeployments(options(), async (deployments, taskQueue) => {
        const [view, pollers] = await Promise.all([deployments.describe(), deployments.pollers(queuesOf(taskQueue))]);
        print({ ...view, conflictToken: undefined, taskQueue, pollers }, statusText(view, pollers, taskQueue));
      }),
    );

  deploy
    .command('promote')
    .description('new refinements start on this build (running ones stay on theirs)')
    .argument('<buildId>')
    .action((buildId: string) =>
      withDeployments(options(), async (deployments) => {
        const { previousBuildId } = await deployments.setCurrent(buildId);
        print({ currentBuildId: buildId, previousBuildId: previousBuildId ?? null }, `${buildId} is current (was ${previousBuildId ?? 'unversioned'})`);
      }),
    );

  deploy
    .command('ramp')
    .description('send this percentage of new refinements to a build, the rest to the current one (0 stops the ramp)')
    .argument('<buildId>')
    .argument('<percent>', 'from 0 to 100', (v) => Number(v))
    .action((buildId: string, percent: number) =>
      withDeployments(options(), async (deployments) => {
        if (!Number.isFinite(percent) || percent < 0 || percent > 100) return usage(`percent must be a number from 0 to 100, not ${percent}`);
        await deployments.setRamping(percent === 0 ? undefined : buildId, percent);
        print({ rampingBuildId: percent === 0 ? null : buildId, percent }, percent === 0 ? 'ramp stopped' : `${percent}% of new refinements start on ${buildId}`);
      }),
    );

  deploy
    .command('rollback')
    .description('make the previously current build current again (running refinements stay on theirs)')
    .action(() =>
      withDeployments(options(), async (deployments) => {
        const { previousVersion } = await import('../client/deployments');
        const view = await deployments.describe();
        const previous = previousVersion(view);
        if (!previous) {
          print({ rolledBack: false, currentBuildId: view.currentBuildId ?? null }, `no earlier version of ${view.name} to roll back to`);
          process.exitCode = EXIT.notFound;
          return;
        }
        // The token makes this fail rather than undo a change someone made since the describe.
        await deployments.setCurrent(previous.buildId, { conflictToken: view.conflictToken });
        print(
          { rolledBack: true, currentBuildId: previous.buildId, previousBuildId: view.currentBuildId ?? null },
          `${previous.buildId} is current again (was ${view.currentBuildId ?? 'unversioned'})`,
        );
      }),
    );

  deploy
    .command('retire')
    .description("wait until no open refinement is pinned to a build, then say that its workers can stop")
    .argument('<buildId>')
    .option('--timeout <seconds>', 'give up after this long', (v) => Number(v), 3600)
    .option('--interval <seconds>', 'how often to look', (v) => Number(v), 10)
    .action((buildId: string, o: { timeout: number; interval: number }) =>
      withDeployments(options(), async (deployments) => {
        const deadline = Date.now() + o.timeout * 1000;
        let said = '';
        for (;;) {
          const view = await deployments.describe();
          const version = view.versions.find((v) => v.buildId === buildId);
          if (!version) {
            print({ buildId, retired: false }, `${view.name} has no version ${buildId}`);
            process.exitCode = EXIT.notFound;
            return;
          }
          if (version.status === 'current' || version.status === 'ramping') {
            print({ buildId, retired: false, status: version.status }, `${buildId} is ${version.status}: promote another build first (refinery deploy promote <buildId>)`);
            process.exitCode = EXIT.refused;
            return;
          }
          // Inactive: never current nor ramping, so nothing was ever pinned to it.
          if (version.status === 'drained' || version.drainage === 'drained' || version.status === 'inactive') {
            print({ buildId, retired: true, status: version.status }, `${buildId} is ${version.status}: no open refinement runs on it, its workers can be stopped`);
            return;
          }
          const now = `${buildId} is ${version.status}${version.drainage ? ` (${version.drainage})` : ''}: refinements pinned to it are still open`;
          if (now !== said && !json()) console.error(`${now}; waiting (the server re-checks every few minutes)`);
          said = now;
          if (Date.now() >= deadline) {
            print({ buildId, retired: false, status: version.status }, `${buildId} has not drained within ${o.timeout} s; keep its workers running`);
            process.exitCode = EXIT.failed;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.max(1, o.interval) * 1000));
        }
      }),
    );
}

function usage(message: string): void {
  console.error(message);
  process.exitCode = EXIT.usage;
}

/** The workflow queue carries workflow and cheap-stage activity tasks; the provider queue only the refine stage. */
function queuesOf(taskQueue: string): { taskQueue: string; kinds: ('workflow' | 'activity')[] }[] {
  return [
    { taskQueue, kinds: ['workflow', 'activity'] },
    { taskQueue: providerTaskQueue(taskQueue), kinds: ['activity'] },
  ];
}

function statusText(view: DeploymentView, pollers: PollerView[], taskQueue: string): string {
  const ramp = view.ramping ? `, ramping ${view.ramping.buildId ?? 'unversioned'} at ${view.ramping.percent}%` : '';
  const lines = [`deployment ${view.name}: current ${view.currentBuildId ?? 'unversioned (new refinements go to unversioned workers only)'}${ramp}`];
  const byBuild = (buildId: string | undefined) => {
    const mine = pollers.filter((p) => p.buildId === buildId);
    const count = (kind: string, queue: string) => new Set(mine.filter((p) => p.kind === kind && p.taskQueue === queue).map((p) => p.identity)).size;
    return `${count('workflow', taskQueue)} workflow, ${count('activity', providerTaskQueue(taskQueue))} provider`;
  };
  lines.push(`  ${'BUILD ID'.padEnd(18)}${'STATUS'.padEnd(10)}${'DRAINAGE'.padEnd(10)}${'CREATED'.padEnd(26)}POLLERS on ${taskQueue}`);
  for (const v of view.versions) {
    lines.push(`  ${v.buildId.padEnd(18)}${v.status.padEnd(10)}${(v.drainage ?? '').padEnd(10)}${(v.createdAt ?? '').padEnd(26)}${byBuild(v.buildId)}`);
  }
  if (pollers.some((p) => p.buildId === undefined)) lines.push(`  ${'(unversioned)'.padEnd(18)}${''.padEnd(46)}${byBuild(undefined)}`);
  return lines.join('\n');
}

async function withDeployments(options: DeployOptions, work: (deployments: DeploymentClient, taskQueue: string) => Promise<void>): Promise<void> {
  const [{ loadDeployConfig }, { connectTemporalClient }, { DeploymentClient, DeploymentChangeRefusedError, DeploymentNotFoundError }] = await Promise.all([
    import('../config'),
    import('../temporal/connection'),
    import('../client/deployments'),
  ]);
  const { temporal } = loadDeployConfig();
  const client = await connectTemporalClient({ temporal });
  try {
    await work(new DeploymentClient(client, options.deployment ?? temporal.deploymentName), temporal.taskQueue);
  } catch (err) {
    if (!(err instanceof DeploymentNotFoundError || err instanceof DeploymentChangeRefusedError)) throw err;
    print({ error: err.name, message: err.message }, err.message);
    process.exitCode = err instanceof DeploymentNotFoundError ? EXIT.notFound : EXIT.refused;
  } finally {
    await client.connection.close();
  }
}
