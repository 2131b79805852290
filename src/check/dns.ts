// DNS_CHECK: one query (recursion desired) of `type` for `name` over UDP; a reply with our id,
// the QR bit and rcode 0 is a success (check_dns.c). The query is built by hand: it is 20 lines
// and dns-packet is only a development dependency (the tests' server uses it).
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { DnsChecker, DnsType } from '../config/blocks/checkers.js';
import type { ProbeResult } from './probe.js';

export const DNS_TYPE_CODES: Record<DnsType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, RRSIG: 46, DNSKEY: 48 };

/** A standard query: header (id, RD, one question) + QNAME labels + QTYPE + QCLASS IN. */
export function encodeQuery(id: number, name: string, type: DnsType): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2); // RD
  head.writeUInt16BE(1, 4);
  parts.push(head);
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    if (b.length > 63) throw new Error(`DNS label too long in ${name}`);
    parts.push(Buffer.from([b.length]), b);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(DNS_TYPE_CODES[type], 1);
  tail.writeUInt16BE(1, 3);
  parts.push(tail);
  return Buffer.concat(parts);
}

/** What a datagram says about our query: undefined when it is not an answer to it. */
export function judgeReply(id: number, msg: Buffer): ProbeResult | undefined {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id) return undefined;
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) return undefined;
  const rcode = flags & 0xf;
  return rcode === 0 ? { ok: true, msg: 'DNS success' } : { ok: false, msg: `read error occurred. (rcode = ${rcode})` };
}

export function probeDns(c: DnsChecker): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const id = randomInt(0, 0x10000);
    const sock = dgram.createSocket(c.connect_ip.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, msg: 'read timeout from socket.' }), Math.max(1, c.connect_timeout * 1000));
    sock.on('error', () => finish({ ok: false, msg: 'connection error.' }));
    sock.on('message', (m) => {
      const r = judgeReply(id, m);
      if (r) finish(r);
    });
    const send = (): void => {
      sock.connect(c.connect_port, c.connect_ip, () => {
        sock.send(encodeQuery(id, c.name, c.dns_type), (err) => { if (err) finish({ ok: false, msg: 'failed to write socket.' }); });
      });
    };
    if (c.bindto || c.bind_port) sock.bind({ address: c.bindto, port: c.bind_port ?? 0 }, send);
    else send();
  });
}
