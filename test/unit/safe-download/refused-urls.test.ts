/**
 * What safeDownload refuses before sending anything: addresses that are not public (however the URL
 * spells them, whatever a name resolves to, wherever a redirect points) and URLs it will not fetch.
 * Refused addresses are refused before any packet leaves: nothing here connects anywhere but loopback.
 */
import dns from 'node:dns';
import { BlockedAddressError, ImageUnavailableError, InvalidImageUrlError } from '../../../src/errors';
import {
  isPublicAddress,
  parseIpLiteral,
  publicAddressesOnly,
  type AddressPolicy,
} from '../../../src/adapters/http/address-policy';
import type { HostResolver } from '../../../src/adapters/http/address-checks';
import { downloadWithAddressPolicy, safeDownload } from '../../../src/adapters/http/safe-download';
import { base, failureOf, images, limits, port, productionLimits, requested, useTestServers } from './servers';

useTestServers();

describe('address policy', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['10.1', '10.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['[::1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
  ])('reads the host literal %s as %s, as does the URL parser', (literal, address) => {
    expect(parseIpLiteral(literal)?.toString()).toBe(address);
    // WHATWG URL rewrites every IPv4 notation to a dotted quad before undici sees it.
    const hostname = new URL(`http://${literal}/`).hostname.replace(/^\[|\]$/g, '');
    expect(parseIpLiteral(hostname)?.toString()).toBe(address);
  });

  it('treats names as names', () => {
    expect(parseIpLiteral('images.example.com')).toBeUndefined();
    expect(parseIpLiteral('localhost')).toBeUndefined();
    expect(parseIpLiteral('1.2.3.4.example')).toBeUndefined();
  });

  it.each([
    '127.0.0.1', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '255.255.255.255', '224.0.0.1', '192.0.2.1',
    '::', '::1', 'fe80::1', 'fd00::1', 'ff02::1', '::ffff:7f00:1', '::ffff:a00:1', '::ffff:0:7f00:1',
    '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::808:808', '::7f00:1',
    '2002:7f00:1::', '2002:c0a8:101::', '2001:0:4136:e378:8000:63bf:80ff:fffe', '2001:db8::1',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    '93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:808:808', '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('SSRF refusals with allowPrivateAddresses=false', () => {
  it.each([
    'http://127.0.0.1/',
    'http://localhost/',
    'http://10.0.0.1/',
    'http://192.168.1.1/',
    'http://172.16.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[fe80::1]/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0x7f.0.0.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://10.1/',
    'https://127.0.0.1/',
  ])('refuses %s', async (url) => {
    const error = await failureOf(safeDownload(url, productionLimits));
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error.message).toMatch(/refusing to contact/);
  });

  it('refuses the loopback test server itself, before sending it anything', async () => {
    const error = await failureOf(safeDownload(`${base}/image.png`, productionLimits));
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error.message).toContain('loopback');
    expect(requested).toEqual([]);
  });

  it('refuses a name that resolves to loopback (localhost, through the system resolver)', async () => {
    const error = await failureOf(safeDownload(`http://localhost:${port}/image.png`, productionLimits));
    expect(error).toBeInstanceOf(BlockedAddressError);
    // The user learns the rule, not what the name resolved to; the operator's log gets the address.
    expect(error.message).toBe(
      'refusing to contact localhost: it resolves to an address that is not public (only public unicast addresses may be contacted)',
    );
    expect(error.message).not.toMatch(/127\.0\.0\.1|::1|loopback/);
    expect((error as BlockedAddressError).operatorDetail).toMatch(/(127\.0\.0\.1|::1) is in the loopback range/);
    expect(requested).toEqual([]);
  });

  it('refuses a name if any one of its addresses is internal', async () => {
    const resolveHost: HostResolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ];
    const error = await failureOf(
      downloadWithAddressPolicy('http://mixed.test/image.png', productionLimits, {
        addressPolicy: publicAddressesOnly,
        resolveHost,
      }),
    );
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error.message).not.toContain('10.1.2.3');
    expect((error as BlockedAddressError).operatorDetail).toContain('10.1.2.3');
  });

  describe('redirects to internal addresses', () => {
    // The test server stands in for a public host: this policy treats 127.0.0.1, and only it, as
    // public, and judges every other address like production does.
    const loopbackServerIsPublic: AddressPolicy = (address) =>
      address.toString() === '127.0.0.1' ? undefined : publicAddressesOnly(address);
    const resolveHost: HostResolver = async (hostname, family) => {
      if (hostname === 'public.test') return [{ address: '127.0.0.1', family: 4 }];
      if (hostname === 'internal.test') return [{ address: '10.0.0.5', family: 4 }];
      return dns.promises.lookup(hostname, { all: true, family });
    };
    const download = (url: string) =>
      downloadWithAddressPolicy(url, productionLimits, { addressPolicy: loopbackServerIsPublic, resolveHost });

    it('downloads from the stand-in public host', async () => {
      const result = await download(`http://public.test:${port}/image.png`);
      expect(result.data.equals(images.png)).toBe(true);
    });

    it.each([
      `http://127.0.0.2:PORT/image.png`,
      'http://[::1]:PORT/image.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://0x7f000002:PORT/image.png',
      'http://[::ffff:10.0.0.1]/',
      'http://internal.test/image.png',
    ])('refuses a redirect to %s', async (target) => {
      const location = encodeURIComponent(target.replace('PORT', String(port)));
      const error = await failureOf(download(`http://public.test:${port}/redirect-to?target=${location}`));
      expect(error).toBeInstanceOf(BlockedAddressError);
      expect(requested).toEqual(['/redirect-to']);
    });
  });
});

describe('URL vetting', () => {
  it.each([
    'file:///etc/passwd',
    'ftp://127.0.0.1/image.png',
    'data:image/png;base64,iVBORw0KGgo=',
    'javascript:alert(1)',
    'gopher://127.0.0.1:70/',
    'ws://127.0.0.1/',
  ])('refuses the non-http URL %s', async (url) => {
    const error = await failureOf(safeDownload(url, limits));
    expect(error).toBeInstanceOf(InvalidImageUrlError);
    expect(error.message).toMatch(/only http and https/);
  });

  it.each(['not a url', 'http://', '//127.0.0.1/image.png', ''])('refuses the unparseable URL %j', async (url) => {
    expect(await failureOf(safeDownload(url, limits))).toBeInstanceOf(InvalidImageUrlError);
  });

  it('refuses credentials in the URL', async () => {
    const error = await failureOf(safeDownload(`http://user:secret@127.0.0.1:${port}/image.png`, limits));
    expect(error).toBeInstanceOf(InvalidImageUrlError);
    expect(error.message).not.toContain('secret');
    expect(requested).toEqual([]);
  });

  it('refuses a URL over 2048 characters', async () => {
    const error = await failureOf(safeDownload(`${base}/image.png?pad=${'a'.repeat(2048)}`, limits));
    expect(error).toBeInstanceOf(InvalidImageUrlError);
    expect(requested).toEqual([]);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const target = encodeURIComponent('file:///etc/passwd');
    const error = await failureOf(safeDownload(`${base}/redirect-to?target=${target}`, limits));
    expect(error).toBeInstanceOf(InvalidImageUrlError);
    expect(error.message).toContain(`redirect from 127.0.0.1:${port}`);
  });

  it('stops after maxRedirects hops', async () => {
    const error = await failureOf(safeDownload(`${base}/loop`, limits));
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect(error.message).toContain('redirected more than 3 times');
    expect(requested).toHaveLength(1 + limits.maxRedirects);
  });

  it('does not follow redirects at all with maxRedirects 0', async () => {
    const error = await failureOf(safeDownload(`${base}/hop1`, { ...limits, maxRedirects: 0 }));
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect(requested).toEqual(['/hop1']);
  });
});
