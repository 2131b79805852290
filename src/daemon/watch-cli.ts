// `keel watch --pcap FILE [--json]`: decode the VRRP adverts in a capture, one line (or JSON
// object) per advert, then a summary per virtual router with its master and conflicts.
// `keel watch IFACE [--json] [--seconds N]`: the same, live, from raw VRRP sockets on IFACE
// (IPv4 protocols 112 and 51, IPv6 112) until SIGINT/SIGTERM or N seconds, then the summary.
import { readFile } from 'node:fs/promises';
import { readCapture, ipFromFrame, linkTypeName, type CaptureFrame } from '../capture/pcap.js';
import type { ReceivedPacket, VrrpSocket, VrrpSocketOptions } from '../net/ports.js';
import { buildIPv6Header, parseAddress, VRRP_GROUP4, VRRP_GROUP6 } from '../vrrp/ip.js';
import {
  formatTime, isoTime, newWatch, observe, recordFromFrame, recordJson, summarize,
  type AdvertRecord, type VridSummary, type WatchSummary,
} from '../vrrp/watch.js';

export interface WatchIo {
  out: (s: string) => Promise<boolean> | boolean;
  err: (s: string) => void;
}

const USAGE = `usage: keel watch --pcap FILE [--json]     (-r FILE works too, as in tcpdump)
       keel watch IFACE [--json] [--seconds N]

Decode VRRP (protocol 112) adverts from a pcap or pcapng capture (tcpdump -w FILE), print one
line per advert (--json: one JSON object per advert, then one {"summary": ...} object), and
report per virtual router the routers seen, the master and any conflicts. Live on IFACE, keel
joins the VRRP groups (224.0.0.18, ff02::12) and sees every multicast advert on the link; unicast
adverts between two other hosts never reach it (capture those with tcpdump on a mirror port).`;

interface WatchArgs {
  pcap?: string;
  iface?: string;
  json: boolean;
  help: boolean;
  seconds?: number;
}

function parseArgs(argv: string[]): WatchArgs | string {
  const a: WatchArgs = { json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--json') a.json = true;
    else if (w === '--seconds') {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n <= 0) return '--seconds needs a positive number';
      a.seconds = n;
    }
    else if (w === '-h' || w === '--help') a.help = true;
    else if (w === '--pcap' || w === '-r') {
      const f = argv[++i];
      if (f === undefined || f === '') return `${w} needs a capture file`;
      if (a.pcap !== undefined) return '--pcap given twice';
      a.pcap = f;
    } else if (w.startsWith('--pcap=')) {
      if (a.pcap !== undefined) return '--pcap given twice';
      a.pcap = w.slice('--pcap='.length);
      if (!a.pcap) return '--pcap needs a capture file';
    } else if (w.startsWith('-') && w !== '-') return `unknown option '${w}'`;
    else if (a.iface === undefined) a.iface = w;
    else return `unexpected argument '${w}'`;
  }
  return a;
}

function processIo(): WatchIo {
  let broken = false;
  process.stdout.on('error', () => { broken = true; });
  return {
    out: (s) => broken ? false : new Promise<boolean>((res) => {
      process.stdout.write(s, (e) => { if (e) broken = true; res(!e); });
    }),
    err: (s) => { process.stderr.write(s); },
  };
}

/** `keel watch ...` with argv after the word `watch`; resolves to the exit code (never rejects). */
export async function runWatch(argv: string[], io: WatchIo = processIo()): Promise<number> {
  try {
    return await watch(argv, io);
  } catch (e) {
    // Never a stack trace to the user: one line, and a non-zero exit.
    io.err(`keel watch: internal error: ${(e as Error).message}\n`);
    if (process.env.KEEL_DEBUG) io.err(String((e as Error).stack) + '\n');
    return 70;
  }
}

async function watch(argv: string[], io: WatchIo): Promise<number> {
  const a = parseArgs(argv);
  if (typeof a === 'string') {
    io.err(`keel watch: ${a}\n${USAGE}\n`);
    return 1;
  }
  if (a.help) {
    await io.out(USAGE + '\n');
    return 0;
  }
  if (a.pcap !== undefined && a.iface !== undefined) {
    io.err(`keel watch: give either an interface or --pcap FILE, not both\n`);
    return 1;
  }
  if (a.pcap === undefined) {
    if (a.iface !== undefined) return watchLive(a.iface, a, io);
    io.err(`keel watch: nothing to watch\n${USAGE}\n`);
    return 1;
  }

  let bytes: Uint8Array;
  try {
    bytes = await readFile(a.pcap);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    io.err(`keel watch: cannot read capture ${a.pcap}: ${why}\n`);
    return 1;
  }
  const read = readCapture(bytes);
  if (!read.ok) {
    io.err(`keel watch: ${a.pcap}: ${read.error}\n`);
    return 1;
  }
  const cap = read.capture;
  const w = newWatch();
  const unsupported = new Map<number, number>();
  let skipped = 0;
  let chunk = '';
  let open = true;
  const emit = async (line: string): Promise<void> => {
    chunk += line + '\n';
    if (chunk.length > 65536) await flush();
  };
  const flush = async (): Promise<void> => {
    if (chunk && open) open = await io.out(chunk);
    chunk = '';
  };

  for (const f of cap.frames) {
    const link = ipFromFrame(f.linkType, f.data);
    if (!link.ok) {
      if (!link.notIp && /^unsupported/.test(link.reason)) unsupported.set(f.linkType, (unsupported.get(f.linkType) ?? 0) + 1);
      else skipped++;
      continue;
    }
    const rec = recordFromFrame({ index: f.index, tsSec: f.tsSec, tsNsec: f.tsNsec, segment: segmentOf(f, link.vlans), ip: link.ip });
    if (!rec) {
      skipped++;
      continue;
    }
    observe(w, rec);
    await emit(a.json ? JSON.stringify(recordJson(rec)) : humanLine(rec, cap.nanosecond));
    if (!open) break;
  }
  const summary = summarize(w);
  if (a.json) {
    await emit(JSON.stringify({ summary: summaryJson(summary, cap.frames.length, skipped, cap.nanosecond) }));
  } else {
    for (const l of summaryLines(summary, cap.frames.length, skipped, cap.nanosecond)) await emit(l);
  }
  await flush();
  for (const [t, n] of unsupported) io.err(`keel watch: ${a.pcap}: ${n} frame${n === 1 ? '' : 's'} on ${linkTypeName(t)} (link type ${t}), which keel cannot decode\n`);
  if (cap.error) {
    io.err(`keel watch: ${a.pcap}: ${cap.error}\n`);
    return 1;
  }
  return 0;
}

/** Live: raw sockets on the interface; every packet printed as it comes, the summary at the end. */
async function watchLive(iface: string, a: WatchArgs, io: WatchIo): Promise<number> {
  const { KernelVrrpTransport } = await import('../net/vrrp-socket.js');
  const transport = new KernelVrrpTransport();
  const sockets: VrrpSocket[] = [];
  const opens: [VrrpSocketOptions, string][] = [
    [{ family: 'inet', interface: iface, groups: [VRRP_GROUP4], protocol: 112 }, 'IPv4 VRRP'],
    [{ family: 'inet', interface: iface, groups: [], protocol: 51 }, 'IPv4 AH'],
    [{ family: 'inet6', interface: iface, groups: [VRRP_GROUP6], protocol: 112 }, 'IPv6 VRRP'],
  ];
  const problems: string[] = [];
  for (const [o, what] of opens) {
    try {
      sockets.push(await transport.open(o));
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  }
  if (!sockets.length) {
    io.err(`keel watch: cannot watch ${iface}: ${problems.join('; ')}\n`);
    return 1;
  }
  for (const p of problems) io.err(`keel watch: ${p} (watching the rest)\n`);
  const w = newWatch();
  let index = 0;
  let out = Promise.resolve(true);
  for (const s of sockets) {
    s.onPacket((p) => {
      const t = Date.now();
      const rec = recordFromFrame({ index: index++, tsSec: Math.floor(t / 1000), tsNsec: (t % 1000) * 1_000_000, segment: '', ip: ipOf(p) });
      if (!rec) return;
      observe(w, rec);
      const line = a.json ? JSON.stringify(recordJson(rec)) : humanLine(rec, false);
      out = out.then(() => io.out(line + '\n'));
    });
    s.onError((e) => io.err(`keel watch: ${e.message}\n`));
  }
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (a.seconds !== undefined) setTimeout(done, a.seconds * 1000);
  });
  for (const s of sockets) s.close();
  await out;
  const summary = summarize(w);
  const text = a.json
    ? JSON.stringify({ summary: summaryJson(summary, index, 0, false) }) + '\n'
    : summaryLines(summary, index, 0, false).join('\n') + '\n';
  await io.out(text);
  return 0;
}

/** An IPv6 socket gives the VRRP message alone: put back the header its facts describe. */
function ipOf(p: ReceivedPacket): Uint8Array {
  if (p.withIpHeader) return p.data;
  const src = parseAddress(p.src)?.bytes ?? new Uint8Array(16);
  const dst = parseAddress(p.dst)?.bytes ?? new Uint8Array(16);
  const h = buildIPv6Header({ src, dst, nextHeader: 112, payloadLength: p.data.length, hopLimit: p.ttl < 0 ? 255 : p.ttl, trafficClass: 0xc0, flowLabel: 0 });
  const ip = new Uint8Array(h.length + p.data.length);
  ip.set(h, 0);
  ip.set(p.data, h.length);
  return ip;
}

function segmentOf(f: CaptureFrame, vlans: number[]): string {
  const parts: string[] = [];
  if (f.interfaceId !== 0) parts.push(`if${f.interfaceId}`);
  if (vlans.length) parts.push(`vlan ${vlans.join('.')}`);
  return parts.join(' ');
}

function humanLine(r: AdvertRecord, nano: boolean): string {
  const parts: string[] = [formatTime(r.tsSec, r.tsNsec, nano)];
  if (r.segment) parts.push(`[${r.segment}]`);
  parts.push(`${r.src ?? '?'} -> ${r.dst ?? '?'}`);
  if (r.ttl !== null && r.ttl !== 255) parts.push(`ttl ${r.ttl}`);
  if (r.reason === 'carp') {
    parts.push(`CARP vhid ${r.vrid}`);
  } else if (r.version !== null) {
    parts.push(`v${r.version}`, `vrid ${r.vrid}`, `prio ${r.priority}`);
    if (r.authType !== null) parts.push(`auth ${r.authType}${r.authData !== null ? ` ${JSON.stringify(r.authData)}` : ''}`);
    parts.push(`intvl ${r.interval}s`);
    parts.push(r.addresses.length ? `addrs ${r.addresses.join(',')}` : 'addrs none');
    if (r.count !== null && r.count !== r.addresses.length) parts.push(`(count ${r.count})`);
  }
  if (!r.valid) parts.push(`INVALID ${r.reason}: ${r.detail}`);
  return parts.join(' ');
}

function familyName(f: string): string {
  return f === 'inet' ? 'IPv4' : 'IPv6';
}

function summaryLines(s: WatchSummary, frames: number, skipped: number, nano: boolean): string[] {
  const out: string[] = [''];
  out.push(`Summary: ${s.packets} VRRP packet${s.packets === 1 ? '' : 's'} (${s.valid} valid) in ${frames} frame${frames === 1 ? '' : 's'}${skipped ? `, ${skipped} other frame${skipped === 1 ? '' : 's'} skipped` : ''}`);
  if (!s.vrids.length) out.push('No VRRP virtual routers seen.');
  for (const v of s.vrids) out.push(...vridLines(v, nano));
  const un = Object.entries(s.unattributed);
  if (un.length) out.push(`Unreadable VRRP packets: ${un.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return out;
}

function vridLines(v: VridSummary, nano: boolean): string[] {
  const out: string[] = [];
  out.push(`VRID ${v.vrid} (${familyName(v.family)}${v.segment ? `, ${v.segment}` : ''}): master ${v.master ?? 'none'}`);
  for (const r of v.routers) {
    const prios = r.priorities.length > 1 ? ` (seen ${r.priorities.join(', ')})` : '';
    const auth = r.authType ? ` auth ${r.authType}` : '';
    out.push(`  ${r.address} prio ${r.priority}${prios}, ${r.adverts} advert${r.adverts === 1 ? '' : 's'} ` +
      `${span(formatTime(r.firstSec, r.firstNsec, nano), formatTime(r.lastSec, r.lastNsec, nano))}, v${r.version} intvl ${r.interval}s${auth}, ` +
      `addrs ${r.addresses.join(',') || 'none'}, ${r.advertising ? 'advertising' : 'stopped'}`);
  }
  const inv = Object.entries(v.invalid);
  if (inv.length) out.push(`  invalid: ${inv.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (!v.conflicts.length) out.push('  conflicts: none');
  for (const c of v.conflicts) out.push(`  CONFLICT ${c.kind}: ${c.message}`);
  return out;
}

/** "DATE T1 .. T2" when both fall on the same day. */
function span(a: string, b: string): string {
  return a.slice(0, 10) === b.slice(0, 10) ? `${a} .. ${b.slice(11)}` : `${a} .. ${b}`;
}

function summaryJson(s: WatchSummary, frames: number, skipped: number, nano: boolean): unknown {
  return {
    frames,
    packets: s.packets,
    valid: s.valid,
    skipped,
    unattributed: s.unattributed,
    vrids: s.vrids.map((v) => ({
      vrid: v.vrid,
      family: v.family,
      segment: v.segment || null,
      master: v.master,
      routers: v.routers.map((r) => ({
        address: r.address, priority: r.priority, priorities: r.priorities, adverts: r.adverts,
        first: isoTime(r.firstSec, r.firstNsec, nano), last: isoTime(r.lastSec, r.lastNsec, nano),
        version: r.version, interval: r.interval, authType: r.authType, addresses: r.addresses, advertising: r.advertising,
      })),
      invalid: v.invalid,
      conflicts: v.conflicts,
    })),
  };
}
