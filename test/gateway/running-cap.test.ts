/**
 * The running cap under concurrency: 7 simultaneous starts by one user with the
 * cap at 5 admit exactly 5, across two gateway instances sharing only the database, on PostgreSQL
 * and on SQLite. No worker runs, so the admitted refinements stay running for the whole test.
 */
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

describe.each(['postgres', 'sqlite'] as const)('running cap on %s', (database) => {
  let stack: TestStack;
  let gateways: TestGateway[];

  beforeAll(async () => {
    stack = await TestStack.create({ database });
    const env = { GATEWAY_MAX_RUNNING_PER_USER: '5', GATEWAY_RATE_LIMIT_MAX: '1000' };
    gateways = [await TestGateway.start(stack, env), await TestGateway.start(stack, env)];
  });
  afterAll(async () => {
    for (const gateway of gateways ?? []) await gateway.close();
    await stack?.close();
  });

  test('7 starts at once through two gateways: exactly 5 accepted, 2 refused with 429', async () => {
    const token = await gateways[0].token('burst');
    const responses = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        gateways[i % 2].fetch('/v1/refinements', {
          method: 'POST',
          token,
          json: { originalImageUrl: `https://example.com/${i}.png`, refinementPrompt: 'warmer', logoDescription: 'fox', themeDescription: 'autumn' },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const accepted = await Promise.all(responses.filter((r) => r.status === 202).map(async (r) => ((await r.json()) as any).taskId as string));
    const listed = (await (await gateways[1].fetch('/v1/refinements?status=running', { token })).json()) as any;
    expect(listed.items.map((item: any) => item.taskId).sort()).toEqual([...accepted].sort());
    await Promise.all(accepted.map((taskId) => stack.refinements.handle(taskId).terminate('test done')));
  });
});
