// UDP_CHECK: send the payload on a connected socket. An ICMP port-unreachable (ECONNREFUSED) is a
// failure; silence until connect_timeout is a success unless require_reply, in which case the
// reply must arrive, have min..max_reply_length bytes and match `reply` (hex, 'x' nibbles are
// wildcards) on the bytes both have (check_udp.c, layer4.c udp_socket_state).
import dgram from 'node:dgram';
import type { UdpChecker } from '../config/blocks/checkers.js';
import type { ProbeResult } from './probe.js';

/** `reply` hex with 'x' wildcards as data + care-mask (1 bits are compared). */
export function parseReplyPattern(hex: string): { data: Buffer; care: Buffer } {
  const n = Math.floor(hex.length / 2);
  const data = Buffer.alloc(n);
  const care = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    let m = 0;
    for (const k of [0, 1]) {
      const ch = hex[2 * i + k]!.toLowerCase();
      d <<= 4;
      m <<= 4;
      if (ch !== 'x') {
        d |= parseInt(ch, 16);
        m |= 0xf;
      }
    }
    data[i] = d;
    care[i] = m;
  }
  return { data, care };
}

/** keepalived compares lengths and bytes only when a reply pattern was given with require_reply. */
export function replyMatches(c: Pick<UdpChecker, 'reply' | 'min_reply_length' | 'max_reply_length'>, got: Buffer): boolean {
  if (!c.reply) return true;
  if (got.length < c.min_reply_length || got.length > c.max_reply_length) return false;
  const p = parseReplyPattern(c.reply);
  const n = Math.min(p.data.length, got.length);
  for (let i = 0; i < n; i++) if ((got[i]! ^ p.data[i]!) & p.care[i]!) return false;
  return true;
}

export function probeUdp(c: UdpChecker): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(c.connect_ip.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish(c.require_reply ? { ok: false, msg: 'UDP connection failed' } : { ok: true, msg: 'UDP no reply (success)' }), Math.max(1, c.connect_timeout * 1000));
    sock.on('error', () => finish({ ok: false, msg: 'UDP connection failed' }));
    sock.on('message', (m) => {
      if (!c.require_reply) return finish({ ok: true, msg: 'UDP reply' });
      finish(replyMatches(c, m) ? { ok: true, msg: 'UDP reply' } : { ok: false, msg: 'UDP check reply data mismatch' });
    });
    const payload = c.payload ? Buffer.from(c.payload, 'hex') : Buffer.alloc(0);
    const send = (): void => {
      sock.connect(c.connect_port, c.connect_ip, () => {
        sock.send(payload, (err) => { if (err) finish({ ok: false, msg: 'UDP connection failed' }); });
      });
    };
    if (c.bindto || c.bind_port) sock.bind({ address: c.bindto, port: c.bind_port ?? 0 }, send);
    else send();
  });
}
