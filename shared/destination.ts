import dns from 'node:dns';
import { BlockList, isIP, isIPv4, type LookupFunction } from 'node:net';
import { addCidr, cap, compileAllowlist, validateAllowlist } from './cidr.ts';

export { validateAllowlist };
import { InvalidArgumentError } from './errors.ts';

/**
 * Destination safety (docs/design.md#destination-safety): a webhook URL must never reach what the public cannot. URLs are
 * checked when a webhook is put (syntax and literal addresses) and again when a delivery
 * connects (every address the host name resolves to), so DNS rebinding gains nothing.
 */
export interface DestinationPolicy {
  /**
   * Local mode (docs/design.md#local-mode): also accept `http` and loopback destinations (127.0.0.0/8, `::1`, their
   * IPv4-mapped forms, the name `localhost`), and nothing else beyond destination safety.
   */
  allowLoopbackHttp: boolean;
  /** CIDRs (`10.1.0.0/16`, `fd00::/8`) or single addresses that deliveries may reach although destination safety (docs/design.md#destination-safety) refuses them. */
  allowlist: readonly string[];
}

/** The address check's verdict; `reason` names the address and the range that refuses it. */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * A delivery refused before any connection was opened. Its message names the host and the
 * address (never the URL's path or query, never a secret).
 */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  readonly code = 'EDESTINATIONREFUSED';
}

interface Rule {
  cidr: string;
  description: string;
  list: BlockList;
}

function rule(cidr: string, description: string): Rule {
  const list = new BlockList();
  addCidr(list, cidr);
  return { cidr, description, list };
}

const IPV4_LOOPBACK = rule('127.0.0.0/8', 'a loopback address');
const IPV6_LOOPBACK = rule('::1/128', 'the loopback address');

// Most specific first, so the reason names the narrowest range.
const IPV4_RULES: readonly Rule[] = [
  rule('255.255.255.255/32', 'the broadcast address'),
  rule('0.0.0.0/8', 'an unspecified ("this network") address'),
  rule('10.0.0.0/8', 'a private address'),
  rule('100.64.0.0/10', 'a shared (CGNAT) address'),
  IPV4_LOOPBACK,
  rule('169.254.0.0/16', 'a link-local address (this range holds the instance metadata service)'),
  rule('172.16.0.0/12', 'a private address'),
  rule('192.0.0.0/24', 'an IETF protocol assignment'),
  rule('192.0.2.0/24', 'a documentation address'),
  rule('192.88.99.0/24', 'a 6to4 relay anycast address'),
  rule('192.168.0.0/16', 'a private address'),
  rule('198.18.0.0/15', 'a benchmarking address'),
  rule('198.51.100.0/24', 'a documentation address'),
  rule('203.0.113.0/24', 'a documentation address'),
  rule('224.0.0.0/4', 'a multicast address'),
  rule('240.0.0.0/4', 'a reserved address'),
];

// IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses are classified by the IPv4
// address they embed before these rules apply.
const IPV6_RULES: readonly Rule[] = [
  rule('::/128', 'the unspecified address'),
  IPV6_LOOPBACK,
  rule('::/96', 'an IPv4-compatible address (deprecated)'),
  rule('64:ff9b:1::/48', 'a local-use NAT64 address'),
  rule('100::/64', 'a discard-only address'),
  rule('2001:db8::/32', 'a documentation address'),
  rule('2001::/23', 'an IETF protocol assignment (Teredo, benchmarking, ORCHID)'),
  // 6to4 relays are deprecated (RFC 7526) and the embedded address would bypass the IPv4 rules.
  rule('2002::/16', 'a 6to4 address'),
  rule('3fff::/20', 'a documentation address'),
  rule('fc00::/7', 'a unique local (private) address'),
  rule('fe80::/10', 'a link-local address'),
  rule('fec0::/10', 'a site-local address (deprecated)'),
  rule('ff00::/8', 'a multicast address'),
];

// Only 2000::/3 is allocated for global unicast; everything else is reserved by IANA.
const IPV6_GLOBAL_UNICAST = rule('2000::/3', 'global unicast');
const IPV4_MAPPED = rule('::ffff:0:0/96', 'IPv4-mapped');
const NAT64 = rule('64:ff9b::/96', 'NAT64');

// BlockList matches an IPv4 address against IPv4-mapped IPv6 rules and the reverse; each
// family is therefore only ever checked against its own rules.
const inRule = (r: Rule, ip: string, family: 'ipv4' | 'ipv6') => r.list.check(ip, family);

/** The eight 16-bit groups of a valid IPv6 address (no zone), with a dotted IPv4 tail expanded. */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The IPv4 address held in the last 32 bits of an IPv6 address. */
function embeddedIpv4(ip: string): string {
  const groups = ipv6Groups(ip);
  const hi = groups[6] ?? 0;
  const lo = groups[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** Strips URL brackets and an IPv6 zone (`fe80::1%eth0`): the zone never changes the range. */
function bareAddress(ip: string): string {
  const unbracketed = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = unbracketed.indexOf('%');
  return zone >= 0 && unbracketed.includes(':') ? unbracketed.slice(0, zone) : unbracketed;
}

function refusedIpv4(ip: string): Rule | undefined {
  return IPV4_RULES.find((r) => inRule(r, ip, 'ipv4'));
}

function isLoopback(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return inRule(IPV4_LOOPBACK, ip, 'ipv4');
  if (family === 6) {
    if (inRule(IPV6_LOOPBACK, ip, 'ipv6')) return true;
    return inRule(IPV4_MAPPED, ip, 'ipv6') && inRule(IPV4_LOOPBACK, embeddedIpv4(ip), 'ipv4');
  }
  return false;
}

/**
 * Classifies one IP address (IPv4 or IPv6, brackets and zone tolerated) for a delivery: public
 * addresses are allowed; loopback, private, link-local, CGNAT, multicast, unspecified,
 * documentation and other reserved ranges are refused, IPv4-mapped and NAT64 addresses by the
 * IPv4 address they embed. Allowlisted CIDRs override refusals; under `allowLoopbackHttp`
 * loopback is allowed. Anything that is not an IP address is refused.
 */
export function checkAddress(ip: string, policy: DestinationPolicy): AddressVerdict {
  const address = bareAddress(ip);
  const family = isIP(address);
  if (family === 0) return { allowed: false, reason: `${JSON.stringify(cap(ip))} is not an IP address` };
  const kind = family === 4 ? 'ipv4' : 'ipv6';

  if (compileAllowlist(policy.allowlist).check(address, kind)) return { allowed: true };
  if (policy.allowLoopbackHttp && isLoopback(address)) return { allowed: true };

  if (family === 4) {
    const refused = refusedIpv4(address);
    return refused ? refusal(address, refused) : { allowed: true };
  }

  for (const wrapper of [IPV4_MAPPED, NAT64]) {
    if (!inRule(wrapper, address, 'ipv6')) continue;
    const inner = embeddedIpv4(address);
    const refused = refusedIpv4(inner);
    if (!refused) return { allowed: true };
    return {
      allowed: false,
      reason: `${address} is the ${wrapper.description} form of ${inner}, ${refused.description} (${refused.cidr})`,
    };
  }
  const refused = IPV6_RULES.find((r) => inRule(r, address, 'ipv6'));
  if (refused) return refusal(address, refused);
  if (!inRule(IPV6_GLOBAL_UNICAST, address, 'ipv6')) {
    return { allowed: false, reason: `${address} is not a global unicast address (outside 2000::/3)` };
  }
  return { allowed: true };
}

function refusal(address: string, r: Rule): AddressVerdict {
  return { allowed: false, reason: `${address} is ${r.description} (${r.cidr})` };
}


/** The longest `destination.postUrl`, in characters. */
export const MAX_POST_URL_LENGTH = 1024;

const invalid = (why: string) => new InvalidArgumentError(`destination.postUrl ${why}`);

/** `localhost`, with or without the root dot. */
const isLocalhostName = (host: string) => host === 'localhost' || host === 'localhost.';
const isUnderLocalhost = (host: string) => /\.localhost\.?$/.test(host);

/**
 * The put-time check of a webhook's `destination.postUrl` (docs/design.md#http-api, #destination-safety): a string, an absolute URL
 * of at most 1024 characters, `https` (or, under `allowLoopbackHttp`, `http` to a loopback
 * host), without credentials, whose host, if an IP literal, is a public (or allowlisted)
 * address, and is not `localhost` or a name under it. The host is judged as the WHATWG URL
 * parser normalises it (`http://167772161/` is 10.0.0.1), which is how the sender reads it too.
 * Host names are checked again at connect time on every address they resolve to.
 *
 * @returns the URL as given, to store
 * @throws InvalidArgumentError naming `destination.postUrl` and why
 */
export function validatePostUrl(raw: unknown, policy: DestinationPolicy): string {
  if (typeof raw !== 'string') throw invalid('must be a string');
  // Code points, as docs/design.md#validation counts characters; the UTF-16 length bounds it from above.
  if (raw.length > MAX_POST_URL_LENGTH && [...raw].length > MAX_POST_URL_LENGTH) {
    throw invalid(`must be at most ${MAX_POST_URL_LENGTH} characters`);
  }
  // The URL parser silently drops tabs and newlines and trims spaces: refuse them, so what is
  // stored and shown is what is dialled.
  if (/\p{Cc}/u.test(raw) || raw.trim() !== raw) {
    throw invalid('must not contain control characters or surrounding whitespace');
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('must be an absolute URL');
  }
  const requireHttps = () =>
    invalid(policy.allowLoopbackHttp ? 'must use https (http only to a loopback host)' : 'must use https');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw requireHttps();
  if (url.username !== '' || url.password !== '') throw invalid('must not contain credentials');

  const host = url.hostname;
  if (host === '') throw invalid('must have a host');
  const address = bareAddress(host);
  const literal = host.startsWith('[') || isIPv4(host);

  if (url.protocol === 'http:') {
    const loopbackHost = literal ? isLoopback(address) : isLocalhostName(host);
    if (!(policy.allowLoopbackHttp && loopbackHost)) throw requireHttps();
  }

  if (literal) {
    const verdict = checkAddress(address, policy);
    if (!verdict.allowed) throw invalid(`must point at a public address: ${verdict.reason}`);
  } else if (isUnderLocalhost(host) || (isLocalhostName(host) && !policy.allowLoopbackHttp)) {
    throw invalid(`must not point at ${JSON.stringify(cap(host))}: it is a loopback name`);
  }
  return raw;
}

/** The part of `dns.lookup` the guard uses: it always asks for every address. */
export type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for `http.Agent`, `https.Agent` or `net.connect` that resolves with `resolve`
 * (default `dns.lookup`) and refuses the name with a `DestinationRefusedError` if ANY address
 * it resolves to is refused by `checkAddress`; otherwise it answers with the checked addresses,
 * in the single or `all: true` form asked for, so the address checked is the address dialled.
 * Node skips `lookup` for IP-literal hosts: check those with `checkAddress` before connecting.
 *
 * @throws Error at creation when the policy's allowlist holds an invalid CIDR
 */
export function createGuardedLookup(policy: DestinationPolicy, resolve: Resolver = dns.lookup): LookupFunction {
  validateAllowlist(policy.allowlist);
  return function guardedLookup(hostname, options, callback) {
    const asked: dns.LookupOptions = typeof options === 'number' ? { family: options } : (options ?? {});
    resolve(hostname, { ...asked, all: true }, (err, addresses) => {
      if (err) return callback(err, asked.all ? [] : '');
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${cap(hostname)}`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, asked.all ? [] : '');
      }
      for (const { address } of addresses) {
        let verdict: AddressVerdict;
        try {
          verdict = checkAddress(address, policy);
        } catch (checkError) {
          // An invalid allowlist: fail this lookup rather than throw inside a DNS callback.
          return callback(checkError as Error, asked.all ? [] : '');
        }
        if (!verdict.allowed) {
          return callback(
            new DestinationRefusedError(`destination refused: ${cap(hostname)} resolves to ${verdict.reason}`),
            asked.all ? [] : '',
          );
        }
      }
      const [first] = addresses as [dns.LookupAddress, ...dns.LookupAddress[]];
      if (asked.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
