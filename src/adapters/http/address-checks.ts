/**
 * Applies an AddressPolicy where a connection is made, so the address checked is the address
 * connected to: IP-literal hosts before the request (undici skips `lookup` for them), names in the
 * Agent's `connect.lookup`, which resolves once and hands exactly the checked addresses to the
 * socket, so a second resolution cannot swap in another address (DNS rebinding).
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { BlockedAddressError, DownloadFailedError, withOperatorDetail } from '../../errors';
import { parseIpLiteral, type AddressPolicy } from './address-policy';

export type HostResolver = (hostname: string, family: 0 | 4 | 6) => Promise<dns.LookupAddress[]>;

/** IP-literal hosts never reach `connect.lookup`, so they are judged here. */
export function refuseForbiddenLiteral(url: URL, policy: AddressPolicy): void {
  const literal = parseIpLiteral(url.hostname);
  const reason = literal && policy(literal);
  if (reason) throw new BlockedAddressError(`refusing to contact ${url.host}: ${reason}`);
}

/**
 * How a host refused by name is refused: by the rule only. The caller learns which rule refused
 * their host, never what it resolved to (that would map our internal names for them).
 */
export const NOT_PUBLIC_RULE = 'it resolves to an address that is not public (only public unicast addresses may be contacted)';

/** What the operator's log gets about the first answer the policy refuses; undefined when all may be contacted. */
export function forbiddenAnswer(hostname: string, addresses: readonly { address: string }[], policy: AddressPolicy): string | undefined {
  for (const { address } of addresses) {
    const parsed = parseIpLiteral(address);
    const reason = parsed ? policy(parsed) : `resolver answered "${address}", which is not an IP address`;
    if (reason) return `${hostname} resolved to ${reason}`;
  }
  return undefined;
}

export function resolveWithSystemDns(hostname: string, family: 0 | 4 | 6): Promise<dns.LookupAddress[]> {
  return dns.promises.lookup(hostname, { all: true, family });
}

/**
 * A `net.connect` lookup that resolves the name once, refuses it if any answer is forbidden (an
 * attacker's DNS may mix a public and an internal address), and connects only to what it checked.
 */
export function checkedLookup(policy: AddressPolicy, resolveHost: HostResolver): LookupFunction {
  const resolveAndCheck = async (hostname: string, family: 0 | 4 | 6): Promise<dns.LookupAddress[]> => {
    const addresses = await resolveHost(hostname, family);
    if (addresses.length === 0) throw new DownloadFailedError(`${hostname} could not be reached`);
    const forbidden = forbiddenAnswer(hostname, addresses, policy);
    if (forbidden) throw withOperatorDetail(new BlockedAddressError(`refusing to contact ${hostname}: ${NOT_PUBLIC_RULE}`), forbidden);
    return addresses;
  };
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    resolveAndCheck(hostname, family).then(
      (addresses) => {
        // With autoSelectFamily (Node's default) net asks for every address and races them itself.
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (err: Error) => callback(err, ''),
    );
  };
}
