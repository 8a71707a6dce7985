/**
 * A key rotation on a dev server of this file's own: runs under the old key stay readable and finish
 * under the new one, new runs use the new key, and with the old key dropped its payloads fail clearly.
 */
import { randomBytes } from 'node:crypto';
import { PayloadDecryptionError } from '../../../src/errors';
import { TestGateway } from '../../harness/gateway';
import { payloadJson, type RawHistory } from '../../harness/raw-history';
import { TestStack } from '../../harness/stack';
import { codecPayloads, history, images, keyA, OPERATOR_TOKEN, original, secrets, server, useDevServer } from './encrypted-runs';

const keyB = `B:${randomBytes(32).toString('base64')}`;

useDevServer();

describe('key rotation', () => {
  let stackA: TestStack;
  let stackBA: TestStack | undefined;
  let stackB: TestStack | undefined;
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    stackA = await TestStack.create({
      database: 'postgres',
      temporalAddress: server.address,
      env: { PAYLOAD_ENCRYPTION_KEYS: keyA, CODEC_AUTH_TOKEN: OPERATOR_TOKEN },
    });
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await stackB?.close();
    await stackBA?.close();
    await stackA?.close();
  });

  const start = async (stack: TestStack, label: string) => {
    const s = secrets(label);
    const taskId = `rotation-${label}-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, ...s, originalImageUrl: images.serve(s.path, { body: original }) }));
    return { taskId, ...s };
  };
  const keyIds = (raw: RawHistory) => [...new Set(codecPayloads(raw).map((p) => p.keyId))].sort();

  test('runs under key A stay readable after rotating to B,A; new runs use B; with B alone an A payload fails clearly', async () => {
    // Under key A: one run completes, another is stopped in its refine stage by a worker crash.
    const workerA = await stackA.startWorker();
    const finished = await start(stackA, 'finished');
    await stackA.refinements.result(finished.taskId);
    await workerA.stop('SIGTERM');
    const crashing = await stackA.startWorker({ hold: { activity: 'refineConceptImage', when: 'before' } });
    const inFlight = await start(stackA, 'inflight');
    await stackA.waitUntilHeld('refineConceptImage', inFlight.taskId, 60_000);
    await crashing.stop('SIGKILL');
    expect(keyIds(await history(stackA, inFlight.taskId))).toEqual(['A']);

    // Redeployed with B first and A kept: the new worker replays the A run and finishes it in B.
    stackBA = await stackA.reconfigured({ PAYLOAD_ENCRYPTION_KEYS: `${keyB},${keyA}` });
    await stackBA.startWorker();
    const resumed = await stackBA.refinements.result(inFlight.taskId);
    expect(resumed.taskId).toBe(inFlight.taskId);
    const progress = await stackBA.refinements.progress(inFlight.taskId);
    expect(progress).toMatchObject({ status: 'completed', finishedStages: ['download', 'refine', 'storeImage', 'storeConcept'] });
    expect(keyIds(await history(stackA, inFlight.taskId))).toEqual(['A', 'B']);
    expect((await stackBA.refinements.result(finished.taskId)).taskId).toBe(finished.taskId);
    expect((await stackBA.refinements.progress(finished.taskId)).status).toBe('completed');

    const fresh = await start(stackBA, 'fresh');
    await stackBA.refinements.result(fresh.taskId);
    const freshHistory = await history(stackA, fresh.taskId);
    expect(keyIds(freshHistory)).toEqual(['B']);
    expect(freshHistory.bytes.toString('latin1')).not.toContain(fresh.refinementPrompt);

    // The rotated gateway's codec decodes both generations.
    const finishedInput = (await history(stackA, finished.taskId)).payloads.find((p) => p.path.includes('workflowExecutionStartedEventAttributes.input'))!;
    const freshInput = freshHistory.payloads.find((p) => p.path.includes('workflowExecutionStartedEventAttributes.input'))!;
    const gatewayBA = await TestGateway.start(stackBA);
    gateways.push(gatewayBA);
    const decoded = await gatewayBA.fetch('/codec/decode', {
      method: 'POST',
      token: OPERATOR_TOKEN,
      json: { payloads: [payloadJson(finishedInput.payload), payloadJson(freshInput.payload)] },
    });
    expect(decoded.status).toBe(200);
    const inputs = ((await decoded.json()) as { payloads: { data: string }[] }).payloads.map((p) => JSON.parse(Buffer.from(p.data, 'base64').toString()));
    expect(inputs.map((i) => i.refinementPrompt)).toEqual([finished.refinementPrompt, fresh.refinementPrompt]);

    // Key A dropped: what it encrypted can no longer be read, and the error says which key is missing.
    stackB = await stackA.reconfigured({ PAYLOAD_ENCRYPTION_KEYS: keyB });
    const failure = await stackB.refinements.result(finished.taskId).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PayloadDecryptionError);
    expect((failure as Error).message).toContain('encrypted with key "A", which is not configured (configured: B)');
    expect((await stackB.refinements.result(fresh.taskId)).taskId).toBe(fresh.taskId);
    const gatewayB = await TestGateway.start(stackB);
    gateways.push(gatewayB);
    const refused = await gatewayB.fetch('/codec/decode', { method: 'POST', token: OPERATOR_TOKEN, json: { payloads: [payloadJson(finishedInput.payload)] } });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { detail: string }).detail).toContain('key "A", which is not configured');
  }, 300_000);
});
