// `keel watch --pcap FILE [--json]`: decode the VRRP adverts in a capture, one line (or JSON
// object) per advert, then a summary per virtual router with its master and conflicts.
// `keel watch IFACE` (live capture) comes later; for now it says so.
import { readFile } from 'node:fs/promises';
import { readCapture, ipFromFrame, linkTypeName, type CaptureFrame } from '../capture/pcap.js';
import {
  formatTime, isoTime, newWatch, observe, recordFromFrame, recordJson, summarize,
  type AdvertRecord, type VridSummary, type WatchSummary,
} from '../vrrp/watch.js';

export interface WatchIo {
  out: (s: string) => Promise<boolean> | boolean;
  err: (s: string) => void;
}

const USAGE = `usage: keel watch --pcap FILE [--json]     (-r FILE works too, as in tcpdump)
       keel watch IFACE                   (live capture: not available yet)

Decode VRRP (protocol 112) adverts from a pcap or pcapng capture (tcpdump -w FILE), print one
line per advert (--json: one JSON object per advert, then one {"summary": ...} object), and
report per virtual router the routers seen, the master and any conflicts.`;

interface WatchArgs {
  pcap?: string;
  iface?: string;
  json: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): WatchArgs | string {
  const a: WatchArgs = { json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--json') a.json = true;
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
    if (a.iface !== undefined) {
      io.err(`keel watch: live capture on '${a.iface}' is not available yet in this version; capture with\n` +
        `  tcpdump -i ${a.iface} -w vrrp.pcap 'ip proto 112 or ip6 proto 112 or ip proto 51'\nand run: keel watch --pcap vrrp.pcap\n`);
      return 1;
    }
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
