/**
 * Hostile webhook URLs, generated from tables: every spelling of the addresses taskhook must never reach, IPv6
 * scopes and embeddings, userinfo tricks, trailing dots, IDN, odd schemes and ports, and names that a (test) DNS
 * answers with private addresses. Shared by every place that judges a webhook URL.
 */
import type { Resolver } from '../../src/net/address-policy.js';

export interface HostileUrl {
  url: string;
  /** Which table it came from, for the per-group figures. */
  group: string;
  /** True when judging it needs DNS (a name), so config parsing alone cannot refuse it. */
  needsDns: boolean;
}

/** The IPv4 targets, each spelled every way the WHATWG URL parser (and so undici) reads as that address. */
const IPV4_TARGETS: Array<[group: string, address: string]> = [
  ['loopback', '127.0.0.1'],
  ['loopback', '127.255.255.254'],
  ['metadata (Alibaba Cloud)', '100.100.100.200'],
  ['metadata (link-local)', '169.254.169.254'],
  ['CGNAT', '100.64.0.1'],
  ['RFC 1918', '10.0.0.1'],
  ['RFC 1918', '172.16.0.1'],
  ['RFC 1918', '192.168.0.1'],
  ['this host', '0.0.0.0'],
  ['reserved', '240.0.0.1'],
  ['broadcast', '255.255.255.255'],
  ['multicast', '224.0.0.1'],
  ['documentation', '192.0.2.1'],
  ['benchmarking', '198.18.0.1'],
];

const octets = (address: string) => address.split('.').map(Number);
const hex = (n: number) => '0x' + n.toString(16);
const oct = (n: number) => '0' + n.toString(8);

/** a.b.c.d → its spellings: dotted, trailing dot, integer (decimal, hex, octal), dotted hex/octal, short forms, IPv4-mapped. */
const IPV4_SPELLINGS: Array<(a: number[]) => string> = [
  (a) => a.join('.'),
  (a) => a.join('.') + '.',
  (a) => String(((a[0] << 24) >>> 0) + (a[1] << 16) + (a[2] << 8) + a[3]),
  (a) => hex(((a[0] << 24) >>> 0) + (a[1] << 16) + (a[2] << 8) + a[3]),
  (a) => oct(((a[0] << 24) >>> 0) + (a[1] << 16) + (a[2] << 8) + a[3]),
  (a) => a.map(hex).join('.'),
  (a) => a.map(oct).join('.'),
  (a) => `${a[0]}.${a[1]}.${(a[2] << 8) + a[3]}`,
  (a) => `${a[0]}.${(a[1] << 16) + (a[2] << 8) + a[3]}`,
  (a) => `[::ffff:${a.join('.')}]`,
  (a) => `[::ffff:${((a[0] << 8) + a[1]).toString(16)}:${((a[2] << 8) + a[3]).toString(16)}]`,
];

/** IPv6 literals: loopback, unspecified, scopes, and every form that embeds a private IPv4 address. */
const IPV6_LITERALS: Array<[group: string, host: string]> = [
  ['loopback', '[::1]'],
  ['loopback', '[0:0:0:0:0:0:0:1]'],
  ['loopback', '[::0001]'],
  ['this host', '[::]'],
  ['link-local', '[fe80::1]'],
  ['link-local', '[fe80::1%25eth0]'],
  ['link-local', '[FE80::a9fe:a9fe]'],
  ['site-local', '[fec0::1]'],
  ['site-local', '[feff::1]'],
  ['ULA', '[fc00::1]'],
  ['ULA', '[fd00:ec2::254]'],
  ['multicast', '[ff02::1]'],
  ['IPv4-compatible', '[::127.0.0.1]'],
  ['IPv4-compatible', '[::a9fe:a9fe]'],
  ['IPv4-translated', '[::ffff:0:7f00:1]'],
  ['NAT64', '[64:ff9b::127.0.0.1]'],
  ['NAT64', '[64:ff9b::6464:64c8]'],
  ['NAT64', '[64:ff9b:1::a00:1]'],
  ['6to4', '[2002:7f00:1::]'],
  ['6to4', '[2002:a9fe:a9fe::1]'],
  ['Teredo', '[2001:0:4136:e378:8000:63bf:80ff:fffe]'],
  ['Teredo', '[2001::a9fe:a9fe]'],
  ['documentation', '[2001:db8::1]'],
  ['documentation', '[3fff::1]'],
  ['discard', '[100::1]'],
  ['SRv6', '[5f00::1]'],
  ['reserved', '[4000::1]'],
];

/** Names: localhost spellings (judged without DNS) and names the test DNS answers with blocked addresses. */
const NAMES: Array<[group: string, host: string, needsDns: boolean]> = [
  ['loopback name', 'localhost', false],
  ['loopback name', 'localhost.', false],
  ['loopback name', 'LOCALHOST', false],
  ['loopback name', 'api.localhost', false],
  ['IDN', 'ⓛⓞⓒⓐⓛⓗⓞⓢⓣ', false], // IDNA maps the circled letters to "localhost"
  ['IDN', '１２７.０.０.１', false], // full-width digits map to 127.0.0.1
  ['IDN', '127。0。0。1', false], // ideographic full stops map to dots
  ['IDN', 'xn--bcher-kva.attacker.test', true],
  ['IDN', 'bücher.attacker.test', true],
  ['resolves private', 'metadata.attacker.test', true],
  ['resolves private', 'metadata.attacker.test.', true],
  ['resolves private', 'metadata.google.internal', true],
  ['resolves private', '127.0.0.1.nip.io', true],
  ['resolves private', '169.254.169.254.nip.io', true],
  ['resolves private', 'loopback6.attacker.test', true],
  ['resolves private', 'mapped.attacker.test', true],
  ['resolves private', 'nat64.attacker.test', true],
  ['resolves private', 'ula.attacker.test', true],
  ['resolves private', 'cgnat.attacker.test', true],
  ['resolves private', 'zero.attacker.test', true],
  ['resolves private', 'mixed.attacker.test', true],
  ['resolves private', 'fec0.attacker.test', true],
  ['unresolvable', 'nxdomain.attacker.test', true],
  ['unresolvable', 'empty.attacker.test', true],
];

/** What the test DNS answers; a name not listed is NXDOMAIN (fail closed). */
export const HOSTILE_DNS: Record<string, string[]> = {
  'xn--bcher-kva.attacker.test': ['10.0.0.1'],
  'metadata.attacker.test': ['100.100.100.200'],
  'metadata.google.internal': ['169.254.169.254'],
  '127.0.0.1.nip.io': ['127.0.0.1'],
  '169.254.169.254.nip.io': ['169.254.169.254'],
  'loopback6.attacker.test': ['::1'],
  'mapped.attacker.test': ['::ffff:127.0.0.1'],
  'nat64.attacker.test': ['64:ff9b::a9fe:a9fe'],
  'ula.attacker.test': ['fd12:3456::1'],
  'cgnat.attacker.test': ['100.100.100.200', '100.64.0.1'],
  'zero.attacker.test': ['0.0.0.0'],
  'mixed.attacker.test': ['93.184.216.34', '10.0.0.5'],
  'fec0.attacker.test': ['fec0::1'],
  'empty.attacker.test': [],
  'hooks.example.com': ['93.184.216.34'],
};

/** A resolver that answers from HOSTILE_DNS and records what it was asked. */
export function hostileResolver(): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const answer = HOSTILE_DNS[hostname.toLowerCase().replace(/\.$/, '')];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return Object.assign(resolve, { calls });
}

/** Whole URLs: userinfo tricks, odd schemes, odd ports, paths that a metadata service answers. */
const WHOLE_URLS: Array<[group: string, url: string, needsDns: boolean]> = [
  ['userinfo', 'https://example.com@127.0.0.1/', false],
  ['userinfo', 'https://hooks.example.com@169.254.169.254/latest/meta-data/', false],
  ['userinfo', 'https://hooks.example.com:443@100.100.100.200/', false],
  ['userinfo', 'https://user:pass@hooks.example.com/', false],
  ['userinfo', 'https://token@hooks.example.com/', false],
  ['userinfo', 'https://@127.0.0.1/', false],
  ['userinfo', 'https://127.0.0.1%40hooks.example.com/', false],
  ['scheme', 'file:///etc/passwd', false],
  ['scheme', 'file://127.0.0.1/etc/passwd', false],
  ['scheme', 'gopher://127.0.0.1:6379/_SET%20x%201', false],
  ['scheme', 'ftp://127.0.0.1/', false],
  ['scheme', 'ftp://hooks.example.com/', false],
  ['scheme', 'javascript:alert(1)', false],
  ['scheme', 'data:text/plain,hello', false],
  ['scheme', 'dict://127.0.0.1:11211/stats', false],
  ['scheme', 'ws://hooks.example.com/', false],
  ['scheme', 'wss://hooks.example.com/', false],
  ['scheme', 'ldap://169.254.169.254/', false],
  ['scheme', 'http://hooks.example.com/', false], // public host over plain http
  ['scheme', 'HTTPS://127.0.0.1/', false],
  ['port', 'https://127.0.0.1:22/', false],
  ['port', 'https://127.0.0.1:6379/', false],
  ['port', 'https://127.0.0.1:0/', false],
  ['port', 'https://100.100.100.200:80/latest/meta-data/', false],
  ['port', 'http://169.254.169.254:65535/', false],
  ['port', 'https://hooks.example.com:99999/', false],
  ['port', 'https://hooks.example.com:-1/', false],
  ['syntax', 'https://', false],
  ['syntax', 'not a url', false],
  ['syntax', '//127.0.0.1/', false],
  ['syntax', 'https://[::1/', false],
];

export function hostileUrls(): HostileUrl[] {
  const urls: HostileUrl[] = [];
  for (const [group, address] of IPV4_TARGETS) {
    for (const spell of IPV4_SPELLINGS) {
      const path = group.startsWith('metadata') ? '/latest/meta-data/' : '/hook';
      urls.push({ url: `https://${spell(octets(address))}${path}`, group, needsDns: false });
    }
  }
  for (const [group, host] of IPV6_LITERALS) urls.push({ url: `https://${host}/hook`, group, needsDns: false });
  for (const [group, host, needsDns] of NAMES) urls.push({ url: `https://${host}/hook`, group, needsDns });
  for (const [group, url, needsDns] of WHOLE_URLS) urls.push({ url, group, needsDns });
  return dedupe(urls);
}

function dedupe(urls: HostileUrl[]): HostileUrl[] {
  const seen = new Set<string>();
  return urls.filter((u) => !seen.has(u.url) && Boolean(seen.add(u.url)));
}
