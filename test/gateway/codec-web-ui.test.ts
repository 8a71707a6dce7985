/**
 * The Temporal Web UI, in a real browser, shows an encrypted run's prompt only through the gateway's
 * codec endpoint: the dev server is started as `make start` starts it with encryption on
 * (`--ui-codec-endpoint`, the gateway's /codec open to the UI origin without credentials), then
 * with /codec demanding an operator credential the UI does not have.
 */
import { randomBytes } from 'node:crypto';
import { renderedDom } from '../harness/browser';
import { DevServer } from '../harness/dev-server';
import { TestGateway } from '../harness/gateway';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { freePort } from '../harness/ports';
import { fetchRawHistory } from '../harness/raw-history';
import { TestStack } from '../harness/stack';

let server: DevServer;
let stack: TestStack;
let gatewayPort: number;
let uiOrigin: string;

beforeAll(async () => {
  gatewayPort = await freePort();
  const uiPort = await freePort();
  uiOrigin = `http://localhost:${uiPort}`;
  server = await DevServer.start({ port: uiPort, codecEndpoint: `http://localhost:${gatewayPort}/codec` });
  stack = await TestStack.create({
    database: 'postgres',
    temporalAddress: server.address,
    env: { PAYLOAD_ENCRYPTION_KEYS: `ui:${randomBytes(32).toString('base64')}`, CODEC_CORS_ORIGINS: uiOrigin },
  });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
  await server?.stop();
});

test("the Web UI decodes an encrypted run through /codec, and shows no prompt when /codec refuses it", async () => {
  const prompt = `Make it warmer, ui-marker-${randomBytes(6).toString('hex')}`;
  const taskId = `web-ui-${Date.now()}`;
  // A finished run: the UI keeps polling a running one, and the headless browser would wait on that.
  const images = await ImageServer.start();
  try {
    const originalImageUrl = images.serve('/fox.png', { body: await conceptPng() });
    await stack.refinements.start(stack.request({ taskId, refinementPrompt: prompt, originalImageUrl }));
    await stack.refinements.result(taskId);
  } finally {
    await images.close();
  }
  const workflowId = `refinement-${taskId}`;
  expect((await fetchRawHistory(server.address, 'default', workflowId)).bytes.toString('latin1')).not.toContain(prompt);
  const page = `${uiOrigin}/namespaces/default/workflows/${workflowId}`;

  {
    const open = await TestGateway.start(stack, { GATEWAY_PORT: String(gatewayPort), CODEC_AUTH_DISABLED: 'true' });
    try {
      const dom = await renderedDom(page, (d) => d.includes(prompt));
      expect(dom).toContain(prompt);
    } finally {
      await open.close();
    }

    // Same UI, same endpoint, but /codec now wants an operator credential: the UI cannot show the prompt.
    const closed = await TestGateway.start(stack, { GATEWAY_PORT: String(gatewayPort), CODEC_AUTH_TOKEN: randomBytes(32).toString('base64url') });
    try {
      // The UI shows the input as it is stored: encrypted (base64 of `binary/encrypted` in its metadata).
      const encrypted = Buffer.from('binary/encrypted').toString('base64');
      const dom = await renderedDom(page, (d) => d.includes(encrypted));
      expect(dom).toContain(encrypted);
      expect(dom).toContain(workflowId);
      expect(dom).not.toContain(prompt);
    } finally {
      await closed.close();
    }
  }
}, 300_000);
