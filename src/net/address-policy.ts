/**
 * Which webhook URLs taskhook may call. taskhook runs in Function Compute next to the metadata service
 * (100.100.100.200), which hands out the function role's credentials, so a webhook URL must never reach
 * it, or any other private, loopback, link-local or otherwise special address.
 *
 * The same checks run at registration (checkWebhookUrl) and on every connection the webhook client opens
 * (see src/webhooks/http-client.ts, which checks the addresses its DNS lookup returns).
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { InvalidInputError } from '../errors.js';

export interface AddressPolicy {
  /** CIDRs from TASKHOOK_ALLOW_PRIVATE_WEBHOOKS, e.g. ['127.0.0.1/32', '::1/128']; they may also use plain http. */
  allowPrivate: string[];
}

export type Resolver = (hostname: string) => Promise<string[]>;

export type UrlProblemCode =
  'InvalidWebhookUrl' | 'InvalidWebhookUrl.Scheme' | 'InvalidWebhookUrl.BlockedAddress' | 'InvalidWebhookUrl.Unresolvable' | 'InvalidWebhookUrl.Credentials';

export type UrlProblem = { ok: false; code: UrlProblemCode; message: string };

/** Addresses a webhook may never reach, unless TASKHOOK_ALLOW_PRIVATE_WEBHOOKS lists them. */
const BLOCKED_RANGES: ReadonlyArray<readonly [cidr: string, label: string]> = [
  ['0.0.0.0/8', 'this network; 0.0.0.0 reaches the local host'],
  ['10.0.0.0/8', 'private network'],
  ['100.64.0.0/10', 'carrier-grade NAT, holds the cloud metadata service'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local, holds cloud metadata services'],
  ['172.16.0.0/12', 'private network'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation (TEST-NET-1)'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private network'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved, includes broadcast 255.255.255.255'],
  ['::/128', 'unspecified address'],
  ['::1/128', 'loopback'],
  ['::/96', 'IPv4-compatible (deprecated), embeds an IPv4 address'],
  ['::ffff:0:0:0/96', 'IPv4-translated, embeds an IPv4 address'],
  ['100::/64', 'discard-only'],
  ['64:ff9b::/96', 'NAT64, embeds an IPv4 address'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['2001::/32', 'Teredo, embeds an IPv4 address'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4, embeds an IPv4 address'],
  ['fc00::/7', 'unique local (private network)'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
const BLOCKED = BLOCKED_RANGES.map(([cidr, label]) => ({ cidr, label, range: ipaddr.parseCIDR(cidr) }));

const inRange = (ip: ipaddr.IPv4 | ipaddr.IPv6, range: Cidr) => ip.kind() === range[0].kind() && ip.match(range);

/** 'a/b, c/d' → ['a/b', 'c/d']. Throws an InvalidInputError naming the first entry that is not a CIDR. */
export function parseCidrList(value: string): string[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) && !ipaddr.IPv6.isValidCIDR(entry)) {
      throw new InvalidInputError('InvalidCidr', `'${entry}' is not a CIDR (example: 127.0.0.1/32)`);
    }
  }
  return entries;
}

/**
 * An IP literal in any spelling ('2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::ffff:7f00:1]', ...)
 * → its canonical form ('127.0.0.1', '::ffff:7f00:1'); anything else (a hostname) → null.
 */
export function parseHostAsIp(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  // Let the WHATWG URL parser read it exactly as undici will (hex, octal, short and integer IPv4 forms).
  if (/^[0-9a-fx.:]+$/i.test(bare)) {
    try {
      const hostname = new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(hostname)) return ipaddr.parse(hostname).toString();
    } catch {
      // not something the URL parser accepts; ipaddr.js below may still read it
    }
  }
  // Spellings the URL parser rejects but ipaddr.js reads (e.g. IPv6 zone ids): still an IP, so still checked.
  return ipaddr.isValid(bare) ? ipaddr.parse(bare).toString() : null;
}

/** Whether the webhook client may connect to `ip`. allowPrivate overrides the blocked ranges, nothing else. */
export function isAddressAllowed(ip: string, policy: AddressPolicy): { allowed: true } | { allowed: false; reason: string } {
  const canonical = parseHostAsIp(ip);
  if (canonical === null) return { allowed: false, reason: `'${ip}' is not an IP address` };
  if (isInsideAllowPrivate(canonical, policy)) return { allowed: true };
  for (const address of spellings(canonical)) {
    const blocked = BLOCKED.find(({ range }) => inRange(address, range));
    if (blocked) return { allowed: false, reason: `${canonical} is in a blocked range (${blocked.cidr}, ${blocked.label})` };
  }
  return { allowed: true };
}

function isInsideAllowPrivate(canonical: string, policy: AddressPolicy): boolean {
  return policy.allowPrivate.some((cidr) => spellings(canonical).some((address) => inRange(address, ipaddr.parseCIDR(cidr))));
}

/** The address, and for an IPv4-mapped ::ffff:a.b.c.d also the IPv4 address a.b.c.d it stands for. */
function spellings(canonical: string): Array<ipaddr.IPv4 | ipaddr.IPv6> {
  const address = ipaddr.parse(canonical);
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? [address, address.toIPv4Address()] : [address];
}

/** Syntax only: absolute http(s) URL without userinfo. The fragment is dropped. */
export function parseWebhookUrl(url: string): { ok: true; url: URL } | UrlProblem {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return problem('InvalidWebhookUrl', 'The webhook URL is not a valid absolute URL; use a full URL such as https://hooks.example.com/taskhook.');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return problem('InvalidWebhookUrl.Scheme', `The webhook URL uses ${parsed.protocol} which is not supported; use an https:// URL.`);
  }
  if (parsed.username || parsed.password) {
    return problem(
      'InvalidWebhookUrl.Credentials',
      `The webhook URL for ${parsed.hostname} contains a username or password; remove them (requests are authenticated by the webhook signature).`,
    );
  }
  if (!parsed.hostname) {
    return problem('InvalidWebhookUrl', 'The webhook URL has no host; use a full URL such as https://hooks.example.com/taskhook.');
  }
  parsed.hash = '';
  return { ok: true, url: parsed };
}

/**
 * The address rules for `hostname` resolved to `addresses`: every address must be allowed, and plain http
 * is only for addresses inside allowPrivate. Returns the canonical addresses that passed.
 */
export function checkResolvedAddresses(
  hostname: string,
  addresses: string[],
  protocol: string,
  policy: AddressPolicy,
): { ok: true; addresses: string[] } | UrlProblem {
  if (addresses.length === 0) return unresolvable(hostname);
  const canonical: string[] = [];
  for (const address of addresses) {
    const verdict = isAddressAllowed(address, policy);
    if (!verdict.allowed) {
      return problem(
        'InvalidWebhookUrl.BlockedAddress',
        `The webhook host ${hostname} is not allowed: ${verdict.reason}; use a publicly reachable host (private ranges can be allowed with TASKHOOK_ALLOW_PRIVATE_WEBHOOKS).`,
      );
    }
    canonical.push(parseHostAsIp(address)!);
  }
  if (protocol !== 'https:' && !canonical.every((ip) => isInsideAllowPrivate(ip, policy))) {
    return problem(
      'InvalidWebhookUrl.Scheme',
      `The webhook URL for ${hostname} must use https://; plain http is only allowed for addresses listed in TASKHOOK_ALLOW_PRIVATE_WEBHOOKS.`,
    );
  }
  return { ok: true, addresses: canonical };
}

export const defaultResolver: Resolver = async (hostname) => (await dns.lookup(hostname, { all: true, verbatim: true })).map(({ address }) => address);

/** Registration-time check: syntax, then DNS, then every resolved address. Fails closed when DNS fails. */
export async function checkWebhookUrl(url: string, policy: AddressPolicy, resolve: Resolver = defaultResolver): Promise<{ ok: true; url: URL } | UrlProblem> {
  const parsed = parseWebhookUrl(url);
  if (!parsed.ok) return parsed;
  const { hostname } = parsed.url;
  const literal = parseHostAsIp(hostname);
  let addresses: string[];
  try {
    addresses = literal !== null ? [literal] : await resolve(hostname);
  } catch {
    return unresolvable(hostname);
  }
  const verdict = checkResolvedAddresses(hostname, addresses, parsed.url.protocol, policy);
  return verdict.ok ? parsed : verdict;
}

function unresolvable(hostname: string): UrlProblem {
  return problem('InvalidWebhookUrl.Unresolvable', `The webhook host ${hostname} could not be resolved; check the hostname and its DNS records.`);
}

function problem(code: UrlProblemCode, message: string): UrlProblem {
  return { ok: false, code, message };
}
