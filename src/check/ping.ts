// PING_CHECK: an ICMP (or ICMPv6) echo request answered within connect_timeout (check_ping.c).
// Uses raw-socket (needs root or CAP_NET_RAW). One raw socket per family serves every checker;
// replies are matched by identifier, sequence and source address.
import { createRequire } from 'node:module';
import type { PingChecker } from '../config/blocks/checkers.js';
import type { ProbeResult } from './probe.js';

interface RawSocket {
  on(ev: 'message', f: (b: Buffer, src: string) => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  send(b: Buffer, off: number, len: number, addr: string, cb: (err: Error | null) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(o: { protocol: number; addressFamily?: number }): RawSocket;
  Protocol: { ICMP: number; ICMPv6: number };
  AddressFamily: { IPv4: number; IPv6: number };
}

const require = createRequire(import.meta.url);
let raw: RawModule | undefined;
function rawModule(): RawModule {
  raw ??= require('raw-socket') as RawModule;
  return raw;
}

/** The Internet checksum over `b` (RFC 1071). */
export function icmpChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length & 1) sum += b[b.length - 1]! << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** An echo request: type 8 (IPv4, checksummed here) or 128 (IPv6: the kernel checksums it). */
export function echoRequest(v6: boolean, id: number, seq: number, payload = Buffer.from('keel-ping-check')): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = v6 ? 128 : 8;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  payload.copy(b, 8);
  if (!v6) b.writeUInt16BE(icmpChecksum(b), 2);
  return b;
}

/** The echo reply in a received packet (IPv4 raw sockets deliver the IP header too). */
export function parseEchoReply(v6: boolean, pkt: Buffer): { id: number; seq: number } | undefined {
  const off = v6 ? 0 : (pkt[0]! & 0x0f) * 4;
  if (pkt.length < off + 8) return undefined;
  if (pkt[off] !== (v6 ? 129 : 0)) return undefined;
  return { id: pkt.readUInt16BE(off + 4), seq: pkt.readUInt16BE(off + 6) };
}

type Waiter = (src: string) => void;

class Pinger {
  private sock: RawSocket | undefined;
  private readonly waiting = new Map<string, Waiter>();
  private seq = 0;
  private readonly id = process.pid & 0xffff;

  constructor(private readonly v6: boolean) {}

  private socket(): RawSocket {
    if (this.sock) return this.sock;
    const r = rawModule();
    const s = r.createSocket(this.v6 ? { protocol: r.Protocol.ICMPv6, addressFamily: r.AddressFamily.IPv6 } : { protocol: r.Protocol.ICMP });
    s.on('message', (pkt, src) => {
      const e = parseEchoReply(this.v6, pkt);
      if (!e || e.id !== this.id) return;
      this.waiting.get(String(e.seq))?.(src);
    });
    s.on('error', () => undefined);
    this.sock = s;
    return s;
  }

  ping(addr: string, timeoutS: number): Promise<ProbeResult> {
    return new Promise((resolve) => {
      let s: RawSocket;
      try {
        s = this.socket();
      } catch (e) {
        resolve({ ok: false, msg: `cannot open ICMP socket: ${(e as Error).message}` });
        return;
      }
      this.seq = (this.seq + 1) & 0xffff;
      const key = String(this.seq);
      const done = (r: ProbeResult): void => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(r);
      };
      const timer = setTimeout(() => done({ ok: false, msg: 'ICMP echo timeout' }), Math.max(1, timeoutS * 1000));
      this.waiting.set(key, (src) => {
        if (src === addr || (this.v6 && src.toLowerCase() === addr.toLowerCase())) done({ ok: true, msg: 'ICMP echo reply' });
      });
      const pkt = echoRequest(this.v6, this.id, this.seq);
      s.send(pkt, 0, pkt.length, addr, (err) => { if (err) done({ ok: false, msg: `ICMP send failed: ${err.message}` }); });
    });
  }

  close(): void {
    this.sock?.close();
    this.sock = undefined;
  }
}

const pingers: { v4?: Pinger; v6?: Pinger } = {};

export function probePing(c: PingChecker): Promise<ProbeResult> {
  const v6 = c.connect_ip.includes(':');
  const p = v6 ? (pingers.v6 ??= new Pinger(true)) : (pingers.v4 ??= new Pinger(false));
  return p.ping(c.connect_ip, c.connect_timeout);
}

/** Close the shared raw sockets (engine stop). */
export function closePingers(): void {
  pingers.v4?.close();
  pingers.v6?.close();
  delete pingers.v4;
  delete pingers.v6;
}
