// Address, route and rule lines: static_ipaddress / virtual_ipaddress / virtual_ipaddress_excluded,
// static_routes / virtual_routes, static_rules / virtual_rules.
import type { Args } from '../args.js';
import type { BuildContext } from '../schema.js';

export interface AddressEntry {
  /** "ADDR/PREFIX" (prefix defaults to 32 / 128). */
  address: string;
  family: 'inet' | 'inet6';
  dev?: string;
  [option: string]: unknown;
}

export interface RouteEntry {
  /** The destination as written, normalised ("default" -> 0.0.0.0/0). */
  to?: string;
  [option: string]: unknown;
}

export interface RuleEntry {
  [option: string]: unknown;
}

/** Parse one address line; `kind` says where it appears (static, vip, evip). */
export function parseAddressLine(a: Args, _kind: 'static' | 'vip' | 'evip', _ctx: BuildContext): AddressEntry | undefined {
  const w = a.word(0)!;
  const [ip, prefix] = w.split('/');
  const family = ip!.includes(':') ? 'inet6' : 'inet';
  return { address: `${ip}/${prefix ?? (family === 'inet' ? 32 : 128)}`, family };
}

export function parseRouteLine(a: Args, _kind: 'static' | 'virtual', _ctx: BuildContext): RouteEntry | undefined {
  return { to: a.word(0)! };
}

export function parseRuleLine(a: Args, _kind: 'static' | 'virtual', _ctx: BuildContext): RuleEntry | undefined {
  return { words: a.rest(0) };
}
