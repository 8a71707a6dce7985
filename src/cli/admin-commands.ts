/**
 * The admin commands, run on the gateway's host: a development token minted with the local secret,
 * API keys managed in the gateway's database directly, and the erasure of a user (started on
 * Temporal with the gateway's configuration, recorded in its database). What they load (the
 * configuration, the gateway's stores) is imported when one of them runs, so the everyday commands
 * start without it.
 */
import { CommanderError, type Command } from 'commander';
import { EXIT, print } from './program';

export function addAdminCommands(program: Command): void {
  program
    .command('token')
    .description('mint a development JWT with the local secret (local stack only)')
    .requiredOption('-u, --user <id>', 'user id (the sub claim)')
    .option('--anonymous', 'set is_anonymous')
    .option('--ttl <seconds>', 'lifetime', (v) => Number(v), 3600)
    .option('--operator', 'add the operator claim (CODEC_OPERATOR_CLAIM) that opens the gateway\'s /codec')
    .action(async (o: { user: string; anonymous?: boolean; ttl: number; operator?: boolean }) => {
      const [{ loadDevTokenConfig }, { mintDevToken }] = await Promise.all([import('../config'), import('../gateway/auth/dev-token')]);
      const config = loadDevTokenConfig();
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
  const admin = program.command('admin').description("operator commands (run on the gateway's host, with its configuration)");
  admin
    .command('erase-user')
    .description('erase everything Refinery holds about a user (docs/erasure.md); prints the erasure id, and with --wait the counts')
    .argument('<userId>')
    .option('--wait', 'wait until the erasure has finished and print what it removed')
    .action(async (userId: string, o: { wait?: boolean }) => {
      const [{ loadGatewayConfig }, { connectTemporalClient }, { ErasureClient }, { openGatewayDatabase }, { ErasureLog }, { auditTo }, { default: pino }, os] =
        await Promise.all([
          import('../config'),
          import('../temporal/connection'),
          import('../client/erasures'),
          import('../gateway/stores/database'),
          import('../adapters/user-data/erasure-log'),
          import('../observability/audit'),
          import('pino'),
          import('node:os'),
        ]);
      const { ID_PATTERN } = await import('../workflows/input-validation');
      if (!ID_PATTERN.test(userId)) throw new CommanderError(EXIT.usage, 'refinery.usage', `user id ${JSON.stringify(userId)} is not a plain id`);
      const config = loadGatewayConfig();
      const operator = os.userInfo().username;
      const [temporal, db] = await Promise.all([connectTemporalClient(config), openGatewayDatabase(config.database)]);
      try {
        const erasures = new ErasureClient(temporal, config.temporal.taskQueue);
        const started = await erasures.start({ userId, requestedBy: 'operator', operator });
        const log = new ErasureLog(db);
        await log.requested({ id: started.erasureId, subjectUserId: userId, requestedBy: 'operator', operator, requestedAt: started.requestedAt });
        const auditLog = pino({ base: { component: 'cli', actor: operator }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
        auditTo(auditLog)('user.erasure_requested', { subject: userId, requestedBy: 'operator', erasureId: started.erasureId });
        if (!o.wait) {
          print({ erasureId: started.erasureId, userId, status: 'requested' }, `erasure ${started.erasureId} of ${userId} requested`);
          return;
        }
        const result = await erasures.result(userId, started.erasureId);
        const lines = Object.entries(result.counts).map(([kind, n]) => `  ${kind.padEnd(22)} ${n}`);
        print(result, [`erasure ${result.erasureId} of ${userId} completed; removed:`, ...lines].join('\n'));
      } finally {
        await Promise.allSettled([temporal.connection.close(), db.destroy()]);
      }
    });
}

async function withApiKeys(work: (keys: import('../gateway/stores/api-keys').ApiKeys) => Promise<void>): Promise<void> {
  const [{ openGatewayDatabase }, { ApiKeys }] = await Promise.all([import('../gateway/stores/database'), import('../gateway/stores/api-keys')]);
  const [{ auditTo }, { default: pino }, os, { loadDatabaseConfig }] = await Promise.all([import('../observability/audit'), import('pino'), import('node:os'), import('../config')]);
  const db = await openGatewayDatabase(loadDatabaseConfig().database);
  // The audit line goes to stderr, apart from the command's own output; the actor is the admin's login.
  const auditLog = pino({ base: { component: 'cli', actor: os.userInfo().username }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
  try {
    await work(new ApiKeys(db, auditTo(auditLog)));
  } finally {
    await db.destroy();
  }
}
