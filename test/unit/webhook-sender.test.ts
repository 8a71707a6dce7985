/** Checking a webhook URL where it is registered: what the caller is told and what only the operator sees. */
import { BlockedAddressError } from '../../src/errors';
import { checkWebhookUrl } from '../../src/adapters/http/webhook-sender';

const resolvingTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

test.each([
  ['a private address', ['10.20.30.40'], /10\.20\.30\.40 is in the private range/],
  ['a public and a loopback address', ['93.184.216.34', '127.0.0.1'], /127\.0\.0\.1 is in the loopback range/],
  ['an IPv4-mapped metadata address', ['::ffff:169.254.169.254'], /169\.254\.169\.254 is in the linkLocal range/],
])('a host name resolving to %s is refused naming the rule; the address goes to the operator only', async (_case, addresses, operatorDetail) => {
  const error = await checkWebhookUrl('https://hooks.internal.example/x', { timeoutMs: 1000, allowPrivateAddresses: false, resolveHost: resolvingTo(...addresses) }).catch(
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(BlockedAddressError);
  const message = (error as Error).message;
  expect(message).toMatch(/^refusing webhook host hooks\.internal\.example: it resolves to an address that is not public/);
  for (const address of [...addresses, '169.254.169.254']) expect(message).not.toContain(address);
  expect(message).not.toMatch(/private|loopback|linkLocal/);
  expect((error as BlockedAddressError).operatorDetail).toMatch(operatorDetail);
});

test('an IP literal is refused naming the address the caller wrote', async () => {
  await expect(checkWebhookUrl('http://10.1.2.3/x', { timeoutMs: 1000, allowPrivateAddresses: false })).rejects.toThrow(
    'refusing to contact 10.1.2.3: 10.1.2.3 is in the private range',
  );
});
