import { BlockList, isIP } from 'node:net';

/**
 * CIDR lists (`10.1.0.0/16`, `fd00::/8`, single addresses) as `BlockList`s: the destination
 * allowlist, parsed when the configuration is (a cold-start failure, not a failed put).
 */

const ECHO_LIMIT = 100;

/** Caps text echoed back in an error message: the input may be huge. */
export const cap = (text: string): string => (text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text);

export function addCidr(list: BlockList, entry: string): void {
  const [address = '', prefixText, ...rest] = entry.trim().split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (family === 0 || rest.length > 0 || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
    throw new Error(`invalid CIDR ${JSON.stringify(cap(entry))}`);
  }
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
}

const compiledAllowlists = new WeakMap<readonly string[], BlockList>();

export function compileAllowlist(allowlist: readonly string[]): BlockList {
  let list = compiledAllowlists.get(allowlist);
  if (!list) {
    list = new BlockList();
    for (const entry of allowlist) addCidr(list, entry);
    compiledAllowlists.set(allowlist, list);
  }
  return list;
}

/**
 * Throws when an allowlist entry is not a CIDR or an address, so a misconfiguration fails at
 * cold start rather than on the first put.
 */
export function validateAllowlist(allowlist: readonly string[]): void {
  compileAllowlist(allowlist);
}

