// The kernel's IPVS table printed as ipvsadm 1.31 prints it: `-Ln` (list), `-Ln --stats`,
// `-Ln --rate` and `-Sn` (save, as rules). Pure: the caller passes the dump and, for names
// (no -n), lookup functions. Column widths, the sort order (libipvs's comparators, including
// their 32-bit wrap-around) and the truncation of long IPv4 names follow ipvsadm so that
// scripts that parse its output can parse keel's.
import type { IpvsInfo, IpvsStats, KernelDest } from './codec.js';
import type { KernelServiceEntry, KernelTable } from './client.js';
import { addrBytes } from './codec.js';

export interface FormatOptions {
  /** -n: numeric addresses and ports. */
  numeric?: boolean;
  /** Port to service name (getservbyport), when not numeric. */
  portName?: (port: number, protocol: 'tcp' | 'udp' | 'sctp') => string | undefined;
  /** Address to host name (gethostbyaddr), when not numeric. */
  hostName?: (address: string) => string | undefined;
}

const SVC_F_PERSISTENT = 0x1;
const SVC_F_ONEPACKET = 0x4;
const SCHED1 = 0x8;
const SCHED2 = 0x10;
const SCHED3 = 0x20;

function int32(n: number): number {
  return n | 0;
}

/** ntohl() of each 32-bit word of the address (IPv4: one word). */
function words(family: 'inet' | 'inet6', address: string): number[] {
  const b = addrBytes(family, address);
  return [b.readUInt32BE(0), b.readUInt32BE(4), b.readUInt32BE(8), b.readUInt32BE(12)];
}

/** libipvs ipvs_cmp_services(): fwmark, family, protocol, address, port; differences as C ints. */
function cmpServices(a: KernelServiceEntry, b: KernelServiceEntry): number {
  const fa = a.key.kind === 'fwmark' ? a.key.fwmark : 0;
  const fb = b.key.kind === 'fwmark' ? b.key.fwmark : 0;
  let r = int32(fa - fb);
  if (r) return r;
  r = afNum(a.key.family) - afNum(b.key.family);
  if (r) return r;
  r = protoNum(a) - protoNum(b);
  if (r) return r;
  const wa = a.key.kind === 'addr' ? words(a.key.family, a.key.address) : [0, 0, 0, 0];
  const wb = b.key.kind === 'addr' ? words(b.key.family, b.key.address) : [0, 0, 0, 0];
  const n = a.key.family === 'inet6' ? 4 : 1;
  for (let i = 0; !r && i < n; i++) r = int32(wa[i]! - wb[i]!);
  if (r) return r;
  return (a.key.kind === 'addr' ? a.key.port : 0) - (b.key.kind === 'addr' ? b.key.port : 0);
}

/** libipvs ipvs_cmp_dests(): address (as wide as the first one's family), then port. */
function cmpDests(a: KernelDest, b: KernelDest): number {
  const wa = words(a.family, a.address);
  const wb = words(b.family, b.address);
  let r = 0;
  const n = a.family === 'inet6' ? 4 : 1;
  for (let i = 0; !r && i < n; i++) r = int32(wa[i]! - wb[i]!);
  if (r) return r;
  return a.port - b.port;
}

function afNum(f: 'inet' | 'inet6'): number {
  return f === 'inet6' ? 10 : 2;
}
function protoNum(s: KernelServiceEntry): number {
  if (s.key.kind === 'fwmark') return 0;
  return s.key.protocol === 'TCP' ? 6 : s.key.protocol === 'UDP' ? 17 : 132;
}

/**
 * glibc's qsort() for these sizes: a top-down merge sort (first half n/2), stable, which matters
 * because the comparators above are not a total order when differences wrap.
 */
export function glibcSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return [...items];
  const n1 = Math.floor(items.length / 2);
  const left = glibcSort(items.slice(0, n1), cmp);
  const right = glibcSort(items.slice(n1), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    if (cmp(left[i]!, right[j]!) <= 0) out.push(left[i++]!);
    else out.push(right[j++]!);
  }
  while (i < left.length) out.push(left[i++]!);
  while (j < right.length) out.push(right[j++]!);
  return out;
}

function protoLower(s: KernelServiceEntry): 'tcp' | 'udp' | 'sctp' | undefined {
  if (s.key.kind === 'fwmark') return undefined;
  return s.key.protocol === 'TCP' ? 'tcp' : s.key.protocol === 'UDP' ? 'udp' : 'sctp';
}

/** addrport_to_anyname(): "addr:port", "[addr]:port", with names unless numeric. */
function addrPort(family: 'inet' | 'inet6', address: string, port: number, proto: 'tcp' | 'udp' | 'sctp' | undefined, o: FormatOptions): string {
  let host = address;
  let p = String(port);
  if (!o.numeric) {
    host = o.hostName?.(address) ?? address;
    // libipvs looks ports up for TCP and UDP services only.
    if (proto === 'tcp' || proto === 'udp') p = o.portName?.(port, proto) ?? p;
  }
  return family === 'inet6' ? `[${host}]:${p}` : `${host}:${p}`;
}

function schedFlagNames(s: KernelServiceEntry): string[] {
  const names: string[] = [];
  const f = s.flags;
  const sh = s.scheduler === 'sh';
  const mh = s.scheduler === 'mh';
  if (f & SCHED1) names.push(sh ? 'sh-fallback' : mh ? 'mh-fallback' : 'flag-1');
  if (f & SCHED2) names.push(sh ? 'sh-port' : mh ? 'mh-port' : 'flag-2');
  if (f & SCHED3) names.push('flag-3');
  return names;
}

/** The service's name column: "TCP  10.0.0.1:80", "FWM  5 IPv6"; for rules "-t 10.0.0.1:80", "-f 5 -6". */
function serviceName(s: KernelServiceEntry, rule: boolean, o: FormatOptions): string {
  const k = s.key;
  if (k.kind === 'fwmark') {
    if (rule) return k.family === 'inet6' ? `-f ${k.fwmark} -6` : `-f ${k.fwmark}`;
    return k.family === 'inet6' ? `FWM  ${k.fwmark} IPv6` : `FWM  ${k.fwmark}`;
  }
  const v = addrPort(k.family, k.address, k.port, protoLower(s), o);
  if (rule) return `${k.protocol === 'TCP' ? '-t' : k.protocol === 'UDP' ? '-u' : '--sctp-service'} ${v}`;
  const name = `${k.protocol.padEnd(4)} ${v}`;
  // ipvsadm cuts an IPv4 service name at 33 characters.
  return k.family === 'inet6' ? name : name.slice(0, 33);
}

function destName(s: KernelServiceEntry, d: KernelDest, rule: boolean, o: FormatOptions): string {
  const n = addrPort(d.family, d.address, d.port, protoLower(s), o);
  return !rule && s.key.family !== 'inet6' ? n.slice(0, 28) : n;
}

const FWD_NAME: Record<KernelDest['method'], string> = { NAT: 'Masq', LOCAL: 'Local', TUN: 'Tunnel', DR: 'Route', BYPASS: '(null)' };
const FWD_SWITCH: Record<KernelDest['method'], string> = { NAT: '-m', LOCAL: '-g', TUN: '-i', DR: '-g', BYPASS: '(null)' };

function netmaskShown(s: KernelServiceEntry): string | undefined {
  if (s.key.family === 'inet6') return s.netmask !== '128' ? s.netmask : undefined;
  return s.netmask !== '255.255.255.255' ? s.netmask : undefined;
}

/** print_largenum(): right-aligned in 9 columns, scaled K/M/G/T unless exact. */
export function largeNum(i: bigint, exact = false): string {
  if (exact) {
    const s = i.toString();
    return s.padStart(s.length <= 8 ? 9 : s.length + 1);
  }
  if (i < 100000000n) return i.toString().padStart(9);
  if (i < 1000000000n) return `${(i / 1000n).toString().padStart(8)}K`;
  if (i < 100000000000n) return `${(i / 1000000n).toString().padStart(8)}M`;
  if (i < 100000000000000n) return `${(i / 1000000000n).toString().padStart(8)}G`;
  return `${(i / 1000000000000n).toString().padStart(8)}T`;
}

const ZERO: IpvsStats = { conns: 0n, inpkts: 0n, outpkts: 0n, inbytes: 0n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n };

function sorted(table: KernelTable): KernelServiceEntry[] {
  return glibcSort(table.services, cmpServices).map((s) => ({ ...s, dests: glibcSort(s.dests, cmpDests) }));
}

/** `ipvsadm -Sn`: the table as ipvsadm rules. */
export function formatSave(table: KernelTable, o: FormatOptions = { numeric: true }): string {
  let out = '';
  for (const s of sorted(table)) {
    const name = serviceName(s, true, o);
    let line = `-A ${name} -s ${s.scheduler}`;
    if (s.flags & SVC_F_PERSISTENT) {
      line += ` -p ${s.timeout}`;
      const m = netmaskShown(s);
      if (m !== undefined) line += ` -M ${m}`;
    }
    if (s.pe) line += ` --pe ${s.pe}`;
    if (s.flags & SVC_F_ONEPACKET) line += ' -o';
    const flags = schedFlagNames(s);
    if (flags.length) line += ` -b ${flags.join(',')}`;
    out += `${line}\n`;
    for (const d of s.dests) {
      let dl = `-a ${name} -r ${destName(s, d, true, o)} ${FWD_SWITCH[d.method]} -w ${d.weight}`;
      if (d.method === 'TUN') {
        const t = d.tunnelType ?? 'ipip';
        dl += ` --tun-type ${t}`;
        if (t === 'gue') dl += ` --tun-port ${d.tunnelPort ?? 0}`;
        if (t !== 'ipip') dl += ` --tun-${d.tunnelCsum ?? 'nocsum'}`;
      }
      out += `${dl}\n`;
    }
  }
  return out;
}

export type ListMode = 'plain' | 'stats' | 'rate';

function versionText(v: number): string {
  return `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`;
}

/** `ipvsadm -Ln`, `-Ln --stats`, `-Ln --rate`. */
export function formatList(table: KernelTable, info: IpvsInfo, mode: ListMode = 'plain', o: FormatOptions = { numeric: true }, exact = false): string {
  let out = `IP Virtual Server version ${versionText(info.version)} (size=${info.connTabSize})\n`;
  if (mode === 'stats') out += `${'Prot LocalAddress:Port'.padEnd(33)} ${'Conns'.padStart(8)} ${'InPkts'.padStart(8)} ${'OutPkts'.padStart(8)} ${'InBytes'.padStart(8)} ${'OutBytes'.padStart(8)}\n  -> RemoteAddress:Port\n`;
  else if (mode === 'rate') out += `${'Prot LocalAddress:Port'.padEnd(33)} ${'CPS'.padStart(8)} ${'InPPS'.padStart(8)} ${'OutPPS'.padStart(8)} ${'InBPS'.padStart(8)} ${'OutBPS'.padStart(8)}\n  -> RemoteAddress:Port\n`;
  else out += 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  const n = (x: bigint): string => largeNum(x, exact);
  for (const s of sorted(table)) {
    const name = serviceName(s, false, o);
    const st = s.stats ?? ZERO;
    if (mode === 'stats') out += `${name.padEnd(33)}${n(st.conns)}${n(st.inpkts)}${n(st.outpkts)}${n(st.inbytes)}${n(st.outbytes)}\n`;
    else if (mode === 'rate') out += `${name.padEnd(33)}${n(st.cps)}${n(st.inpps)}${n(st.outpps)}${n(st.inbps)}${n(st.outbps)}\n`;
    else {
      let line = `${name} ${s.scheduler}`;
      const flags = schedFlagNames(s);
      if (flags.length) line += ` (${flags.join(',')})`;
      if (s.flags & SVC_F_PERSISTENT) {
        line += ` persistent ${s.timeout}`;
        const m = netmaskShown(s);
        if (m !== undefined) line += ` mask ${m}`;
      }
      if (s.pe) line += ` pe ${s.pe}`;
      if (s.flags & SVC_F_ONEPACKET) line += ' ops';
      out += `${line}\n`;
    }
    for (const d of s.dests) {
      const dn = destName(s, d, false, o);
      const ds = d.stats ?? ZERO;
      if (mode === 'stats') out += `  -> ${dn.padEnd(28)}${n(ds.conns)}${n(ds.inpkts)}${n(ds.outpkts)}${n(ds.inbytes)}${n(ds.outbytes)}\n`;
      else if (mode === 'rate') out += `  -> ${dn.padEnd(28)} ${String(Number(ds.cps & 0xffffffffn)).padStart(8)} ${String(Number(ds.inpps & 0xffffffffn)).padStart(8)} ${String(Number(ds.outpps & 0xffffffffn)).padStart(8)}${n(ds.inbps)}${n(ds.outbps)}\n`;
      else out += `  -> ${dn.padEnd(28)} ${FWD_NAME[d.method].padEnd(7)} ${String(d.weight).padEnd(6)} ${String(d.activeConns).padEnd(10)} ${String(d.inactConns).padEnd(10)}\n`;
    }
  }
  return out;
}
