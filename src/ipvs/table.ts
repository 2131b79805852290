// The IPVS table as keel wants it and as the kernel has it: the meeting point of the checker
// engine (which computes the desired table from the config and its verdicts, src/check) and the
// IPVS client and reconciler (src/ipvs). Plain data, comparable field by field.
import type { Family } from '../config/blocks/addresses.js';

export type IpvsProtocol = 'TCP' | 'UDP' | 'SCTP';
/** Forwarding method as the kernel names it: MASQ (NAT), DROUTE (DR), TUNNEL (TUN). */
export type FwdMethod = 'NAT' | 'DR' | 'TUN';

/** A service's identity: protocol + address + port, or a firewall mark (with its family). */
export type ServiceKey =
  | { kind: 'addr'; family: Family; protocol: IpvsProtocol; address: string; port: number }
  | { kind: 'fwmark'; family: Family; fwmark: number };

export interface IpvsService {
  key: ServiceKey;
  /** Scheduler name: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos. */
  scheduler: string;
  /** IP_VS_SVC_F_*: PERSISTENT 0x1, ONEPACKET 0x4, SCHED1 0x8, SCHED2 0x10, SCHED3 0x20 (HASHED left out). */
  flags: number;
  /** Persistence timeout in seconds (0: not persistent). */
  timeout: number;
  /** IPv4: the netmask as dotted text; IPv6: the prefix length as text. */
  netmask: string;
  /** persistence_engine (e.g. "sip"), absent when none. */
  pe?: string;
  dests: IpvsDest[];
}

export interface IpvsDest {
  family: Family;
  address: string;
  port: number;
  method: FwdMethod;
  weight: number;
  uthreshold: number;
  lthreshold: number;
  /** TUN only. */
  tunnelType?: 'ipip' | 'gue' | 'gre';
  tunnelPort?: number;
  tunnelCsum?: 'nocsum' | 'csum' | 'remcsum';
}

/** The whole table keel owns: services in config order, destinations in config order. */
export interface IpvsTable {
  services: IpvsService[];
}

/** A stable text key for a service (for maps and messages): "TCP 10.0.0.1:80", "FWM 5 inet". */
export function serviceKeyText(k: ServiceKey): string {
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}${k.family === 'inet6' ? ' IPv6' : ''}`;
  return `${k.protocol} ${k.family === 'inet6' ? `[${k.address}]` : k.address}:${k.port}`;
}

/** A stable text key for a destination within its service. */
export function destKeyText(d: Pick<IpvsDest, 'family' | 'address' | 'port'>): string {
  return d.family === 'inet6' ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
}
