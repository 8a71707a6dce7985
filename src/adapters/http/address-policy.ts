/**
 * Which IP addresses an untrusted URL may make us contact. Only public unicast space is allowed:
 * loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, multicast, reserved and
 * the like are refused, and IPv6 forms that carry an IPv4 address inside are judged by that IPv4.
 */
import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** Why an address must not be contacted, or undefined when it may be. */
export type AddressPolicy = (address: IpAddress) => string | undefined;

/** Production policy: public unicast addresses only. */
export const publicAddressesOnly: AddressPolicy = refusalReason;

/** For tests and development against loopback servers (DownloadLimits.allowPrivateAddresses). */
export const anyAddress: AddressPolicy = () => undefined;

export function isPublicAddress(address: IpAddress | string): boolean {
  return refusalReason(typeof address === 'string' ? ipaddr.parse(address) : address) === undefined;
}

/**
 * Reads a URL host as an IP literal, or returns undefined for a DNS name. Accepts every notation that
 * inet_aton and URL parsers accept — decimal `2130706433`, hex `0x7f000001` / `0x7f.0.0.1`, octal
 * `0177.0.0.1`, short `127.1` — and bracketed IPv6. WHATWG `new URL()` already rewrites the IPv4
 * forms to a dotted quad, but a host that reaches us by another path must not slip through as a
 * "name" that getaddrinfo would then happily turn into 127.0.0.1.
 */
export function parseIpLiteral(host: string): IpAddress | undefined {
  let literal = host.trim();
  if (literal.startsWith('[') && literal.endsWith(']')) literal = literal.slice(1, -1);
  // A fully-qualified trailing dot ("127.0.0.1.") still names the same address.
  else if (literal.endsWith('.')) literal = literal.slice(0, -1);
  if (!ipaddr.isValid(literal)) return undefined;
  try {
    return ipaddr.parse(literal);
  } catch {
    return undefined;
  }
}

function refusalReason(address: IpAddress): string | undefined {
  const range = address.range();
  if (isIPv6(address) && range !== 'loopback' && range !== 'unspecified') {
    const embedded = embeddedIPv4(address);
    if (embedded) {
      for (const inner of embedded.addresses) {
        const innerReason = refusalReason(inner);
        if (innerReason) return `${address.toString()} is ${embedded.form}: ${innerReason}`;
      }
      return undefined;
    }
  }
  return range === 'unicast' ? undefined : `${address.toString()} is in the ${range} range`;
}

function isIPv6(address: IpAddress): address is ipaddr.IPv6 {
  return address.kind() === 'ipv6';
}

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');
const IPV4_MAPPED = ipaddr.parseCIDR('::ffff:0:0/96');
const IPV4_TRANSLATED = ipaddr.parseCIDR('::ffff:0:0:0/96');
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16');
const TEREDO = ipaddr.parseCIDR('2001::/32');

/**
 * IPv6 addresses that lead to an IPv4 host: the kernel (mapped, compatible), a NAT64 gateway or a
 * 6to4/Teredo relay forwards the connection to the IPv4 inside, so that IPv4 is what gets contacted.
 * The local-use NAT64 prefix 64:ff9b:1::/48 is not unwrapped: its range() is not unicast, so it is
 * refused as a whole.
 */
function embeddedIPv4(address: ipaddr.IPv6): { form: string; addresses: ipaddr.IPv4[] } | undefined {
  const p = address.parts;
  const fromWords = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  if (address.match(IPV4_MAPPED)) return { form: 'IPv4-mapped', addresses: [fromWords(p[6], p[7])] };
  if (address.match(IPV4_TRANSLATED)) return { form: 'IPv4-translated', addresses: [fromWords(p[6], p[7])] };
  if (address.match(NAT64_WELL_KNOWN)) return { form: 'NAT64', addresses: [fromWords(p[6], p[7])] };
  if (address.match(IPV4_COMPATIBLE)) return { form: 'IPv4-compatible', addresses: [fromWords(p[6], p[7])] };
  if (address.match(SIX_TO_FOUR)) return { form: '6to4', addresses: [fromWords(p[1], p[2])] };
  if (address.match(TEREDO)) {
    // Teredo carries the relay server's IPv4 in clear and the client's IPv4 bit-inverted.
    const server = fromWords(p[2], p[3]);
    const client = fromWords(~p[6] & 0xffff, ~p[7] & 0xffff);
    return { form: 'Teredo', addresses: [server, client] };
  }
  return undefined;
}
