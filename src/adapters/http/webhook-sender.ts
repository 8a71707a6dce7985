/**
 * POSTs a signed event to an untrusted URL, with the same guard as image downloads: the address
 * policy is applied to IP literals here and to every DNS answer in the connection's lookup (so the
 * address checked is the address connected to), redirects are never followed, and one deadline
 * bounds the whole exchange. The answer's body is read only up to a small cap and otherwise ignored.
 */
import { Agent, request } from 'undici';
import { BlockedAddressError, InvalidWebhookUrlError, describeError, withOperatorDetail } from '../../errors';
import { anyAddress, parseIpLiteral, publicAddressesOnly, type AddressPolicy } from './address-policy';
import { checkedLookup, forbiddenAnswer, NOT_PUBLIC_RULE, refuseForbiddenLiteral, resolveWithSystemDns, type HostResolver } from './address-checks';

export interface WebhookHttpSettings {
  /** Deadline of one delivery attempt: connection, request and answer. */
  timeoutMs: number;
  allowPrivateAddresses: boolean;
  resolveHost?: HostResolver;
}

/** The settings from the configuration's webhook section (gateway checks and worker deliveries alike). */
export function webhookHttpSettings(webhooks: { timeoutMs: number; allowPrivateAddresses: boolean }): WebhookHttpSettings {
  return { timeoutMs: webhooks.timeoutMs, allowPrivateAddresses: webhooks.allowPrivateAddresses };
}

export interface WebhookAnswer {
  /** Null when there was no answer (refused, reset, timed out). */
  statusCode: number | null;
  error: string | null;
}

const MAX_URL_LENGTH = 2048;
const MAX_ANSWER_BYTES = 64 * 1024;

const policyOf = (settings: WebhookHttpSettings): AddressPolicy => (settings.allowPrivateAddresses ? anyAddress : publicAddressesOnly);

/** Checks a webhook URL where it is registered: its shape, and every address its host resolves to now. */
export async function checkWebhookUrl(raw: string, settings: WebhookHttpSettings): Promise<URL> {
  const url = parseWebhookUrl(raw);
  const policy = policyOf(settings);
  refuseForbiddenLiteral(url, policy);
  if (!parseIpLiteral(url.hostname)) {
    let addresses;
    try {
      addresses = await (settings.resolveHost ?? resolveWithSystemDns)(url.hostname, 0);
    } catch (err) {
      throw new InvalidWebhookUrlError(`webhook host ${url.hostname} does not resolve (${describeError(err)})`);
    }
    // As at delivery: the caller is told the rule, the operator's log gets the address.
    const forbidden = forbiddenAnswer(url.hostname, addresses, policy);
    if (forbidden) throw withOperatorDetail(new BlockedAddressError(`refusing webhook host ${url.hostname}: ${NOT_PUBLIC_RULE}`), forbidden);
  }
  return url;
}

export function parseWebhookUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw new InvalidWebhookUrlError(`webhook URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidWebhookUrlError('webhook URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidWebhookUrlError(`webhook URL uses ${url.protocol}; only http and https are allowed`);
  if (url.username !== '' || url.password !== '') throw new InvalidWebhookUrlError('webhook URL must not carry credentials');
  return url;
}

/**
 * One attempt. A forbidden address throws BlockedAddressError (the caller decides what that means);
 * everything else the receiver or the network does becomes an answer to record.
 */
export async function postWebhook(
  raw: string,
  body: string,
  headers: Record<string, string>,
  settings: WebhookHttpSettings,
  signal?: AbortSignal,
): Promise<WebhookAnswer> {
  const url = parseWebhookUrl(raw);
  const policy = policyOf(settings);
  refuseForbiddenLiteral(url, policy);
  const deadline = AbortSignal.timeout(settings.timeoutMs);
  const agent = new Agent({
    connect: { timeout: settings.timeoutMs, lookup: checkedLookup(policy, settings.resolveHost ?? resolveWithSystemDns) },
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
  });
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      headers: { 'content-type': 'application/json', 'user-agent': 'Refinery webhooks', ...headers },
      body,
    });
    // Drain a little of the answer so the connection ends cleanly; its content means nothing here.
    let read = 0;
    for await (const chunk of response.body) {
      read += (chunk as Buffer).length;
      if (read > MAX_ANSWER_BYTES) break;
    }
    return { statusCode: response.statusCode, error: null };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof BlockedAddressError) throw err;
    if (cause instanceof BlockedAddressError) throw cause;
    if (deadline.aborted) return { statusCode: null, error: `no answer within ${settings.timeoutMs} ms` };
    const code = (err as { code?: unknown }).code;
    return { statusCode: null, error: typeof code === 'string' ? `${code}: ${describeError(err)}` : describeError(err) };
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}
