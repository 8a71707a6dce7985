/**
 * The `refinery` command, on the gateway's HTTP API. Exit codes for scripts: 0 completed (or the
 * command succeeded), 1 failed or error, 2 usage, 3 cancelled, 4 not found, 5 refused (auth, limits).
 */
import '../runtime/compile-cache'; // first: caches the compiled code of every module loaded after it
import readline from 'node:readline/promises';
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config';
import { ApiError, RefineryApiClient, type LineageView, type RefinementView } from './api-client';
import { STAGES, type Stage } from '../workflows/stage-policies';
import { mintDevToken } from '../gateway/dev-token';

const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 3, notFound: 4, refused: 5 } as const;

const program = new Command('refinery')
  .description('Refine concept images through the Refinery gateway')
  .option('--url <url>', 'gateway base URL', process.env.REFINERY_URL ?? 'http://localhost:8080')
  .option('--token <token>', 'JWT or API key (default: $REFINERY_TOKEN)')
  .option('--json', 'machine-readable output')
  .exitOverride();

function client(): RefineryApiClient {
  const { url, token } = program.opts<{ url: string; token?: string }>();
  const credential = token ?? process.env.REFINERY_TOKEN;
  if (!credential) throw new CommanderError(EXIT.usage, 'refinery.token', 'no token: pass --token or set REFINERY_TOKEN (refinery token --user <id> mints one locally)');
  return new RefineryApiClient(url.replace(/\/+$/, ''), credential);
}

const json = () => program.opts<{ json?: boolean }>().json === true;
const print = (value: unknown, human: string) => console.log(json() ? JSON.stringify(value, null, 2) : human);
const exitFor = (view: RefinementView) => (view.status === 'completed' ? EXIT.ok : view.status === 'cancelled' ? EXIT.cancelled : EXIT.failed);

/** One line per stage: done with how long it took, running with the time so far, or waiting. */
function stageLine(view: RefinementView, stage: Stage): string {
  const times = view.stageTimes[stage];
  const mark = times?.finishedAt ? '✔' : stage === view.currentStage ? '…' : ' ';
  const seconds = times ? `${(((times.finishedAt ? Date.parse(times.finishedAt) : Date.now()) - Date.parse(times.startedAt)) / 1000).toFixed(1)}s` : '';
  const attempt = stage === view.currentStage && view.attempt > 1 ? ` (attempt ${view.attempt})` : '';
  return `  ${mark} ${stage.padEnd(13)} ${seconds}${attempt}`;
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
    print({ ...final, concept }, summary(final));
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

function summary(view: RefinementView): string {
  const lines = [`${view.taskId}: ${view.status}`];
  if (view.conceptId) lines.push(`concept: ${view.conceptId}`, `image:   ${view.imageUrl}`);
  if (view.lastFailure) lines.push(`failure: ${view.lastFailure}`);
  if (view.cancellation) lines.push(`cancel:  ${view.cancellation.outcome} (${view.cancellation.reason})`);
  return lines.join('\n');
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
    print(page, [...rows, ...(page.nextCursor ? [`more: refinery concepts list --cursor ${page.nextCursor}`] : [])].join('\n') || 'no concepts');
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
    print(view, `${summary(view)}\nstage:   ${view.currentStage ?? '-'}  finished: ${view.finishedStages.join(', ') || '-'}`);
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
    const rows = page.items.map((i) => `${i.createdAt}  ${i.status.padEnd(9)}  ${i.taskId}`);
    print(page, [...rows, ...(page.nextCursor ? [`more: refinery list --cursor ${page.nextCursor}`] : [])].join('\n') || 'no refinements');
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

program
  .command('token')
  .description('mint a development JWT with the local secret (local stack only)')
  .requiredOption('-u, --user <id>', 'user id (the sub claim)')
  .option('--anonymous', 'set is_anonymous')
  .option('--ttl <seconds>', 'lifetime', (v) => Number(v), 3600)
  .option('--operator', 'add the operator claim (CODEC_OPERATOR_CLAIM) that opens the gateway\'s /codec')
  .action(async (o: { user: string; anonymous?: boolean; ttl: number; operator?: boolean }) => {
    const config = loadConfig();
    const { name, value } = config.codec.operatorClaim;
    const claims = o.operator ? { [name]: value } : undefined;
    const token = await mintDevToken(config.gateway.auth, { userId: o.user, isAnonymous: o.anonymous, ttlSeconds: o.ttl, claims });
    print({ token }, token);
  });

const apiKey = program.command('api-key').description('manage API keys (admin: talks to the database directly)');
apiKey
  .command('create')
  .requiredOption('-u, --user <id>', 'the user the key acts for')
  .option('--label <text>', 'what the key is for', '')
  .action(async (o: { user: string; label: string }) => {
    await withApiKeys(async (keys) => {
      const { key, record } = await keys.create(o.user, o.label);
      print({ key, ...record }, `${key}\n(id ${record.id}; shown once, store it now)`);
    });
  });
apiKey
  .command('revoke')
  .argument('<id>')
  .action(async (id: string) => {
    await withApiKeys(async (keys) => {
      const revoked = await keys.revoke(id);
      print({ id, revoked }, revoked ? `revoked ${id}` : `no live key ${id}`);
      if (!revoked) process.exitCode = EXIT.notFound;
    });
  });
apiKey
  .command('list')
  .requiredOption('-u, --user <id>')
  .action(async (o: { user: string }) => {
    await withApiKeys(async (keys) => {
      const records = await keys.list(o.user);
      print(records, records.map((r) => `${r.id}  ${r.revokedAt ? 'revoked' : 'live   '}  ${r.createdAt}  ${r.label}`).join('\n') || 'no keys');
    });
  });

async function withApiKeys(work: (keys: import('../gateway/api-keys').ApiKeys) => Promise<void>): Promise<void> {
  const [{ openGatewayDatabase }, { ApiKeys }] = await Promise.all([import('../gateway/database'), import('../gateway/api-keys')]);
  const [{ auditTo }, { default: pino }, os] = await Promise.all([import('../observability/audit'), import('pino'), import('node:os')]);
  const db = await openGatewayDatabase(loadConfig().database);
  // The audit line goes to stderr, apart from the command's own output; the actor is the admin's login.
  const auditLog = pino({ base: { component: 'cli', actor: os.userInfo().username }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
  try {
    await work(new ApiKeys(db, auditTo(auditLog)));
  } finally {
    await db.destroy();
  }
}

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
