/**
 * Which webhook URLs taskhook may call. taskhook runs in Function Compute next to the metadata service
 * (100.100.100.200), which hands out the function role's credentials, so a webhook URL must never reach
 * it, or any other private, loopback, link-local or otherwise special address.
 *
 * The same checks run at registration (checkWebhookUrl, for API and TASKHOOK_WEBHOOKS webhooks alike; config
 * parsing runs the part without I/O, checkWebhookUrlOffline) and on every connection the webhook client opens
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

/** One blocked range: where it comes from (the RFC that defines it) and what it is, kept as data. */
export interface BlockedRange {
  cidr: string;
  label: string;
  rfc: string;
}

/**
 * Addresses a webhook may never reach, unless TASKHOOK_ALLOW_PRIVATE_WEBHOOKS lists them: every entry of the IANA
 * IPv4 and IPv6 Special-Purpose Address Registries that is not "Globally Reachable"
 * (https://www.iana.org/assignments/iana-ipv4-special-registry, https://www.iana.org/assignments/iana-ipv6-special-registry),
 * plus multicast, IPv4 reserved space, and all IPv6 space outside global unicast 2000::/3 (the IANA IPv6 Address
 * Space registry: reserved by the IETF, ULA, link-local, deprecated site-local fec0::/10, multicast).
 * Inside 192.0.0.0/24 and 2001::/23 a few anycast service addresses are globally reachable; no webhook lives there,
 * so those blocks stay whole. ::ffff:0:0/96 (IPv4-mapped) is not listed: a mapped address is judged as the IPv4
 * address it maps. When ranges nest, the most specific one names the reason.
 */
export const BLOCKED_RANGES: readonly BlockedRange[] = [
  // IANA IPv4 Special-Purpose Address Registry
  { cidr: '0.0.0.0/8', label: 'this network; 0.0.0.0 reaches the local host', rfc: 'RFC 791' },
  { cidr: '0.0.0.0/32', label: 'this host on this network', rfc: 'RFC 1122' },
  { cidr: '10.0.0.0/8', label: 'private network', rfc: 'RFC 1918' },
  { cidr: '100.64.0.0/10', label: 'carrier-grade NAT, holds the cloud metadata service', rfc: 'RFC 6598' },
  { cidr: '127.0.0.0/8', label: 'loopback', rfc: 'RFC 1122' },
  { cidr: '169.254.0.0/16', label: 'link-local, holds cloud metadata services', rfc: 'RFC 3927' },
  { cidr: '172.16.0.0/12', label: 'private network', rfc: 'RFC 1918' },
  { cidr: '192.0.0.0/24', label: 'IETF protocol assignments', rfc: 'RFC 6890' },
  { cidr: '192.0.0.0/29', label: 'IPv4 service continuity prefix', rfc: 'RFC 7335' },
  { cidr: '192.0.0.8/32', label: 'IPv4 dummy address', rfc: 'RFC 7600' },
  { cidr: '192.0.0.170/31', label: 'NAT64/DNS64 discovery', rfc: 'RFC 8880' },
  { cidr: '192.0.2.0/24', label: 'documentation (TEST-NET-1)', rfc: 'RFC 5737' },
  { cidr: '192.88.99.0/24', label: '6to4 relay anycast', rfc: 'RFC 7526' },
  { cidr: '192.168.0.0/16', label: 'private network', rfc: 'RFC 1918' },
  { cidr: '198.18.0.0/15', label: 'benchmarking', rfc: 'RFC 2544' },
  { cidr: '198.51.100.0/24', label: 'documentation (TEST-NET-2)', rfc: 'RFC 5737' },
  { cidr: '203.0.113.0/24', label: 'documentation (TEST-NET-3)', rfc: 'RFC 5737' },
  { cidr: '240.0.0.0/4', label: 'reserved, includes broadcast 255.255.255.255', rfc: 'RFC 1112' },
  { cidr: '255.255.255.255/32', label: 'limited broadcast', rfc: 'RFC 919' },
  // IANA IPv4 Multicast Address Space Registry
  { cidr: '224.0.0.0/4', label: 'multicast', rfc: 'RFC 5771' },
  // IANA IPv6 Special-Purpose Address Registry
  { cidr: '::/128', label: 'unspecified address', rfc: 'RFC 4291' },
  { cidr: '::1/128', label: 'loopback', rfc: 'RFC 4291' },
  { cidr: '::/96', label: 'IPv4-compatible (deprecated), embeds an IPv4 address', rfc: 'RFC 4291' },
  { cidr: '::ffff:0:0:0/96', label: 'IPv4-translated, embeds an IPv4 address', rfc: 'RFC 2765' },
  { cidr: '64:ff9b::/96', label: 'NAT64, embeds an IPv4 address', rfc: 'RFC 6052' },
  { cidr: '64:ff9b:1::/48', label: 'local-use NAT64', rfc: 'RFC 8215' },
  { cidr: '100::/64', label: 'discard-only', rfc: 'RFC 6666' },
  { cidr: '100:0:0:1::/64', label: 'dummy IPv6 prefix', rfc: 'RFC 9780' },
  { cidr: '2001::/23', label: 'IETF protocol assignments', rfc: 'RFC 2928' },
  { cidr: '2001::/32', label: 'Teredo, embeds an IPv4 address', rfc: 'RFC 4380' },
  { cidr: '2001:2::/48', label: 'benchmarking', rfc: 'RFC 5180' },
  { cidr: '2001:10::/28', label: 'ORCHID (deprecated)', rfc: 'RFC 4843' },
  { cidr: '2001:db8::/32', label: 'documentation', rfc: 'RFC 3849' },
  { cidr: '2002::/16', label: '6to4, embeds an IPv4 address', rfc: 'RFC 3056' },
  { cidr: '3fff::/20', label: 'documentation', rfc: 'RFC 9637' },
  { cidr: '5f00::/16', label: 'segment routing (SRv6) SIDs', rfc: 'RFC 9602' },
  { cidr: 'fc00::/7', label: 'unique local (private network)', rfc: 'RFC 4193' },
  { cidr: 'fe80::/10', label: 'link-local', rfc: 'RFC 4291' },
  // IANA IPv6 Address Space: everything that is not global unicast 2000::/3
  { cidr: '::/3', label: 'reserved by the IETF (not global unicast)', rfc: 'RFC 4291' },
  { cidr: '4000::/2', label: 'reserved by the IETF (not global unicast)', rfc: 'RFC 4291' },
  { cidr: '8000::/1', label: 'reserved by the IETF (not global unicast)', rfc: 'RFC 4291' },
  { cidr: 'fec0::/10', label: 'site-local (deprecated, still routed by some stacks)', rfc: 'RFC 3879' },
  { cidr: 'ff00::/8', label: 'multicast', rfc: 'RFC 4291' },
];

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
const BLOCKED = BLOCKED_RANGES.map((entry) => ({ ...entry, range: ipaddr.parseCIDR(entry.cidr) }));

const inRange = (ip: ipaddr.IPv4 | ipaddr.IPv6, range: Cidr) => ip.kind() === range[0].kind() && ip.match(range);

/** Every blocked range that holds `ip` (any spelling), the most specific first; [] for a public address. */
export function blockedRangesOf(ip: string): BlockedRange[] {
  const canonical = parseHostAsIp(ip);
  if (canonical === null) return [];
  return spellings(canonical)
    .flatMap((address) => BLOCKED.filter(({ range }) => inRange(address, range)))
    .sort((a, b) => b.range[1] - a.range[1])
    .map(({ cidr, label, rfc }) => ({ cidr, label, rfc }));
}

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
  const [blocked] = blockedRangesOf(canonical);
  return blocked ? { allowed: false, reason: `${canonical} is in a blocked range (${blocked.cidr}, ${blocked.label})` } : { allowed: true };
}

function isInsideAllowPrivate(canonical: string, policy: AddressPolicy): boolean {
  return policy.allowPrivate.some((cidr) => spellings(canonical).some((address) => inRange(address, ipaddr.parseCIDR(cidr))));
}

/** The address as judged: an IPv4-mapped ::ffff:a.b.c.d is the IPv4 address a.b.c.d it stands for. */
function spellings(canonical: string): Array<ipaddr.IPv4 | ipaddr.IPv6> {
  const address = ipaddr.parse(canonical);
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? [address.toIPv4Address()] : [address];
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
  if (protocol !== 'https:' && !canonical.every((ip) => isInsideAllowPrivate(ip, policy))) return httpOnlyForPrivate(hostname);
  return { ok: true, addresses: canonical };
}

function httpOnlyForPrivate(hostname: string): UrlProblem {
  return problem(
    'InvalidWebhookUrl.Scheme',
    `The webhook URL for ${hostname} must use https://; plain http is only allowed for addresses listed in TASKHOOK_ALLOW_PRIVATE_WEBHOOKS.`,
  );
}

export const defaultResolver: Resolver = async (hostname) => (await dns.lookup(hostname, { all: true, verbatim: true })).map(({ address }) => address);

/** RFC 6761 §6.3: localhost names are loopback and are never asked of DNS, so they are judged as loopback. */
const LOOPBACK_ADDRESSES = ['127.0.0.1', '::1'];

/** The addresses a host stands for without DNS: an IP literal's own, loopback for a localhost name; else null. */
export function addressesWithoutDns(hostname: string): string[] | null {
  const literal = parseHostAsIp(hostname);
  if (literal !== null) return [literal];
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost') ? LOOPBACK_ADDRESSES : null;
}

/**
 * The part of the registration check that needs no I/O (config parsing runs it): syntax, then IP literals and
 * localhost names against the policy, and plain http when no private range is allowed. `resolved` says whether
 * the host's addresses were judged here; when false, checkWebhookUrl still has to ask DNS.
 */
export function checkWebhookUrlOffline(url: string, policy: AddressPolicy): { ok: true; url: URL; resolved: boolean } | UrlProblem {
  const parsed = parseWebhookUrl(url);
  if (!parsed.ok) return parsed;
  const { hostname, protocol } = parsed.url;
  const known = addressesWithoutDns(hostname);
  if (known !== null) {
    const verdict = checkResolvedAddresses(hostname, known, protocol, policy);
    return verdict.ok ? { ...parsed, resolved: true } : verdict;
  }
  if (protocol !== 'https:' && policy.allowPrivate.length === 0) return httpOnlyForPrivate(hostname);
  return { ...parsed, resolved: false };
}

/**
 * One line for a refused URL that names only scheme, host and port (never a path, query or userinfo, which may
 * carry tokens): `https://169.254.169.254/ is a blocked address (169.254.0.0/16, link-local, …, RFC 3927)`.
 */
export function describeUrlProblem(url: string, verdict: UrlProblem, policy: AddressPolicy): string {
  if (verdict.code !== 'InvalidWebhookUrl.BlockedAddress') return verdict.message;
  const { protocol, host, hostname } = new URL(url);
  const refused = (addressesWithoutDns(hostname) ?? []).find((ip) => !isAddressAllowed(ip, policy).allowed);
  const range = refused === undefined ? undefined : blockedRangesOf(refused)[0];
  const why = range ? ` (${range.cidr}, ${range.label}, ${range.rfc})` : '';
  return `${protocol}//${host}/ is a blocked address${why}; use a publicly reachable host (private ranges can be allowed with TASKHOOK_ALLOW_PRIVATE_WEBHOOKS)`;
}

/** Registration-time check: syntax, then DNS, then every resolved address. Fails closed when DNS fails. */
export async function checkWebhookUrl(url: string, policy: AddressPolicy, resolve: Resolver = defaultResolver): Promise<{ ok: true; url: URL } | UrlProblem> {
  const offline = checkWebhookUrlOffline(url, policy);
  if (!offline.ok) return offline;
  const { url: parsed, resolved } = offline;
  if (resolved) return { ok: true, url: parsed };
  let addresses: string[];
  try {
    addresses = await resolve(parsed.hostname);
  } catch {
    return unresolvable(parsed.hostname);
  }
  const verdict = checkResolvedAddresses(parsed.hostname, addresses, parsed.protocol, policy);
  return verdict.ok ? { ok: true, url: parsed } : verdict;
}

function unresolvable(hostname: string): UrlProblem {
  return problem('InvalidWebhookUrl.Unresolvable', `The webhook host ${hostname} could not be resolved; check the hostname and its DNS records.`);
}

function problem(code: UrlProblemCode, message: string): UrlProblem {
  return { ok: false, code, message };
}
