/**
 * The `refinery` command, on the gateway's HTTP API: the refinement and concept commands here, the
 * admin commands (token, api-key) in admin-commands.ts, Worker Versioning (deploy ...) in deploy-commands.ts,
 * options and exit codes in program.ts.
 */
import '../runtime/compile-cache'; // first: caches the compiled code of every module loaded after it
import readline from 'node:readline/promises';
import { CommanderError } from 'commander';
import { addAdminCommands } from './admin-commands';
import { addDeployCommands } from './deploy-commands';
import { ApiError, type LineageView, type RefineryApiClient, type RefinementView } from './api-client';
import { client, EXIT, json, print, printPage, program } from './program';
import { listRow, queueText, refinementStatus, refinementSummary } from './refinement-text';
import { STAGES, type Stage } from '../workflows/stage-policies';

const exitFor = (view: RefinementView) => (view.status === 'completed' ? EXIT.ok : view.status === 'cancelled' ? EXIT.cancelled : EXIT.failed);

/** One line per stage: done with how long it took, running with the time so far, or waiting. */
function stageLine(view: RefinementView, stage: Stage): string {
  const times = view.stageTimes[stage];
  const mark = times?.finishedAt ? '✔' : stage === view.currentStage ? '…' : ' ';
  const seconds = times ? `${(((times.finishedAt ? Date.parse(times.finishedAt) : Date.now()) - Date.parse(times.startedAt)) / 1000).toFixed(1)}s` : '';
  const attempt = stage === view.currentStage && view.attempt > 1 ? ` (attempt ${view.attempt})` : '';
  const queue = stage === view.currentStage && view.providerQueue ? `  ${queueText(view.providerQueue)}` : '';
  return `  ${mark} ${stage.padEnd(13)} ${seconds}${attempt}${queue}`;
}

async function follow(api: RefineryApiClient, taskId: string, { offerCancel }: { offerCancel: boolean }): Promise<number> {
  const printed = new Set<string>();
  const live = process.stdout.isTTY && !json();
  let drawn = 0;
  const stop = new AbortController();
  const onSigint = async () => {
    if (!offerCancel || !process.stdin.isTTY) return void stop.abort();
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`\nCancel refinement ${taskId}? [y/N] `);
    rl.close();
    if (/^y/i.test(answer)) {
      await api.cancel(taskId, 'cancelled from the CLI').catch((err) => console.error(String(err)));
    } else stop.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const final = await api.watch(
      taskId,
      (view) => {
        if (json()) return;
        if (live) {
          const board = STAGES.map((stage) => stageLine(view, stage)).join('\n');
          if (drawn) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
          process.stdout.write(board + '\n');
          drawn = STAGES.length;
          return;
        }
        // Not a terminal (a log, a pipe): one line per stage as it completes.
        for (const stage of STAGES) {
          if (view.stageTimes[stage]?.finishedAt && !printed.has(stage)) {
            printed.add(stage);
            console.log(stageLine(view, stage));
          }
        }
      },
      stop.signal,
    );
    const concept = final.conceptId ? await api.concept(final.conceptId) : undefined;
    print({ ...final, concept }, refinementSummary(final));
    return exitFor(final);
  } catch (err) {
    if (stop.signal.aborted) {
      console.error(`stopped watching; refinement ${taskId} goes on (refinery watch ${taskId})`);
      return EXIT.ok;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

program
  .command('refine')
  .description('start a refinement of an image URL, a local file or a stored concept (--concept) and follow it to the end')
  .argument('[image]', 'http(s) URL or path of a PNG/JPEG/WebP file (not with --concept)')
  .requiredOption('-p, --prompt <text>', 'the refinement prompt')
  .option('-c, --concept <conceptId>', "refine this stored concept again (descriptions default to the concept's)")
  .option('-l, --logo <text>', 'logo description (required unless --concept)')
  .option('-t, --theme <text>', 'theme description (required unless --concept)')
  .option('-k, --keep <aspect...>', 'aspects to preserve')
  .option('--idempotency-key <key>', 'makes a retried command return the same refinement')
  .option('--detach', 'print the task id and return at once')
  .action(async (image: string | undefined, o: { prompt: string; concept?: string; logo?: string; theme?: string; keep?: string[]; idempotencyKey?: string; detach?: boolean }) => {
    const usage = (message: string) => new CommanderError(EXIT.usage, 'refinery.usage', message);
    if (o.concept !== undefined && image !== undefined) throw usage('give an image or --concept, not both');
    const api = client();
    let started;
    if (o.concept !== undefined) {
      started = await api.refineConcept(
        o.concept,
        { refinementPrompt: o.prompt, logoDescription: o.logo, themeDescription: o.theme, preserveAspects: o.keep },
        o.idempotencyKey,
      );
    } else {
      if (image === undefined || o.logo === undefined || o.theme === undefined) throw usage('an image, --logo and --theme are required (or --concept <id>)');
      started = await api.start({
        image,
        refinementPrompt: o.prompt,
        logoDescription: o.logo,
        themeDescription: o.theme,
        preserveAspects: o.keep,
        idempotencyKey: o.idempotencyKey,
      });
    }
    if (o.detach) return void print(started, started.taskId);
    if (!json()) console.log(`refinement ${started.taskId} started (Ctrl-C to cancel or detach)`);
    process.exitCode = await follow(api, started.taskId, { offerCancel: true });
  });

const concepts = program.command('concepts').description('your stored concepts and their lineage');
concepts
  .command('list')
  .description('your concepts, newest first')
  .option('--root <conceptId>', 'only this lineage (the id of its first concept)')
  .option('-n, --limit <n>', 'how many', (v) => Number(v), 20)
  .option('--cursor <cursor>', 'next page cursor from a previous list')
  .action(async (o: { root?: string; limit: number; cursor?: string }) => {
    const page = await client().concepts(o);
    const rows = page.items.map((c) => `${c.createdAt}  ${c.id}  ${c.parentConceptId ? `from ${c.parentConceptId}` : 'root'.padEnd(41)}  ${c.refinementPrompt}`);
    printPage(page, rows, 'refinery concepts list', 'no concepts');
  });
concepts
  .command('lineage')
  .argument('<conceptId>')
  .description('the chain from the root to this concept, and its direct children')
  .action(async (conceptId: string) => {
    const lineage = await client().lineage(conceptId);
    const line = (c: LineageView['chain'][number]) => `${c.id}  ${c.createdAt}  ${c.refinementPrompt}\n      ${c.imageUrl}`;
    const human = [
      ...(lineage.truncated ? ['  (an earlier ancestor was deleted)'] : []),
      ...lineage.chain.map((c, i) => `${String(i + 1).padStart(3)}. ${line(c)}`),
      ...(lineage.children.length ? ['children:', ...lineage.children.map((c) => `   - ${line(c)}`)] : []),
    ].join('\n');
    print(lineage, human);
  });

program
  .command('watch')
  .argument('<taskId>')
  .description('follow a refinement to its end')
  .action(async (taskId: string) => {
    process.exitCode = await follow(client(), taskId, { offerCancel: true });
  });

program
  .command('status')
  .argument('<taskId>')
  .description('where a refinement stands')
  .action(async (taskId: string) => {
    const view = await client().get(taskId);
    print(view, refinementStatus(view));
    process.exitCode = view.status === 'running' ? EXIT.ok : exitFor(view);
  });

program
  .command('list')
  .description('your refinements, newest first')
  .option('-s, --status <status>', 'running, completed, failed or cancelled')
  .option('-n, --limit <n>', 'how many', (v) => Number(v), 20)
  .option('--cursor <cursor>', 'next page cursor from a previous list')
  .action(async (o: { status?: 'running'; limit: number; cursor?: string }) => {
    const page = await client().list(o);
    const rows = page.items.map(listRow);
    printPage(page, rows, 'refinery list', 'no refinements');
  });

program
  .command('cancel')
  .argument('<taskId>')
  .option('-r, --reason <text>', 'why')
  .description('cancel a running refinement')
  .action(async (taskId: string, o: { reason?: string }) => {
    const result = await client().cancel(taskId, o.reason);
    print(result, `${taskId}: cancelling`);
  });

addAdminCommands(program);
addDeployCommands(program);

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(EXIT.ok);
      if (err.code === 'refinery.token' || err.code === 'refinery.usage') console.error(err.message);
      process.exit(EXIT.usage);
    }
    if (err instanceof ApiError) {
      print({ status: err.status, problem: err.problem }, err.message + (err.problem.errors ?? []).map((e) => `\n  ${e.field}: ${e.detail}`).join(''));
      process.exit(err.status === 404 ? EXIT.notFound : err.status === 400 ? EXIT.usage : [401, 403, 409, 429].includes(err.status) ? EXIT.refused : EXIT.failed);
    }
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(EXIT.failed);
  }
}

void main();
