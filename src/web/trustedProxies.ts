/**
 * WEB_TRUSTED_PROXIES entries, read strictly: an address (`10.1.2.3`, `::1`) or a CIDR range with a
 * decimal prefix length in range (`10.1.0.0/16`). Anything else — a trailing `/`, `/abc`, `/33`,
 * a range of everything (`/0`) — is refused, so a slip cannot trust every client.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface ProxyEntry {
  ip: string;
  type: 'ipv4' | 'ipv6';
  /** Prefix length of a range; undefined for a single address. */
  bits?: number;
}

/** The entry, or why it is not one (a sentence naming the entry). */
export function parseProxyEntry(entry: string): ProxyEntry | string {
  const slash = entry.indexOf('/');
  const addr = slash === -1 ? entry : entry.slice(0, slash);
  const ip = unmapped(addr);
  const type = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!type) return `"${entry}" is not an IP address or CIDR range (e.g. 127.0.0.1 or 10.1.0.0/16)`;
  if (slash === -1) return { ip, type };
  const bitsText = entry.slice(slash + 1);
  const max = type === 'ipv4' ? 32 : 128;
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) {
    return `"${entry}" has no valid prefix length after "/": write a number from 1 to ${max} (e.g. ${type === 'ipv4' ? '10.1.0.0/16' : 'fd00::/8'}), or leave out the "/" for one address`;
  }
  const bits = Number(bitsText);
  if (bits === 0) return `"${entry}" is every ${type === 'ipv4' ? 'IPv4' : 'IPv6'} address: anyone could then claim to be any user. List only the proxy's own addresses`;
  return { ip, type, bits };
}

/** Every entry's problem, or an empty list. */
export function proxyEntriesProblems(entries: string[]): string[] {
  return entries.map(parseProxyEntry).filter((e): e is string => typeof e === 'string');
}

/** Addresses (or CIDR ranges such as 10.0.0.0/8) from which the identity header is believed. Throws on a bad entry. */
export function trustedAddresses(entries: string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const e = parseProxyEntry(entry);
    if (typeof e === 'string') throw new Error(`WEB_TRUSTED_PROXIES: ${e}.`);
    if (e.bits === undefined) list.addAddress(e.ip, e.type);
    else list.addSubnet(e.ip, e.bits, e.type);
  }
  return (address) => {
    if (!address) return false;
    const ip = unmapped(address);
    return list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
  };
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) is 127.0.0.1. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

/** Whether a listening host is this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const ip = unmapped(h);
  return isIPv4(ip) && ip.startsWith('127.');
}
