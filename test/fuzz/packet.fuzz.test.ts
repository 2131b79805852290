// Hostile bytes never crash the VRRP decoder or the capture reader: over a million random and
// mutated packets (every kind of advert keel encodes, and tcpdump's corpus when ../shared is
// there), with and without an expected instance, plus mutated capture files through the whole
// `keel watch` pipeline. Fixed seed: a failure prints the case number and bytes to replay it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/env.js';
import { internetChecksum, ipv4PseudoSum, ipv6PseudoSum } from '../../src/vrrp/checksum.js';
import {
  REJECT_REASONS, authKey, decodeIpPacket, decodeVrrp, encodeAdvert,
  type AdvertSpec, type DecodeResult, type ExpectedInstance, type RejectReason,
} from '../../src/vrrp/packet.js';
import { LINKTYPE_ETHERNET, ipFromFrame, readCapture, writePcap, writePcapng } from '../../src/capture/pcap.js';
import { newWatch, observe, recordFromFrame, summarize } from '../../src/vrrp/watch.js';
import { seededRandom } from '../../src/util/random.js';

const SEED = 0x76727270; // "vrrp"
const PACKETS = 1_050_000;
const CAPTURES = 15_000;

const rng = seededRandom;

function seeds(): Uint8Array[] {
  const base: AdvertSpec = { version: 2, vrid: 51, priority: 100, intervalCs: 100, addresses: ['10.0.0.100', '10.0.0.101'], src: '10.0.0.1' };
  const specs: Partial<AdvertSpec>[] = [
    {}, { addresses: [] }, { addresses: Array.from({ length: 40 }, (_, i) => `10.9.0.${i}`) }, { priority: 0 }, { priority: 255 },
    { authType: 'PASS', authPass: 'secret12' }, { authType: 'AH', authPass: 'ahpass', ahSeq: 3 },
    { authType: 'AH', authPass: 'ahpass', dst: '10.0.0.2', ttl: 17, unicast: true },
    { version: 3, intervalCs: 50 }, { version: 3, dst: '10.0.0.2' }, { version: 3, dst: '10.0.0.2', checksum: 'old-unicast' },
    { version: 3, checksum: 'v3-as-v2' }, { version: 3, src: 'fe80::1', addresses: ['fd00::1', '2001:db8::5'] },
    { version: 3, src: 'fd00:1::1', dst: 'fd00:1::2', ttl: 64, addresses: ['fd00::9'] }, { version: 2, src: 'fe80::1', addresses: ['fd00::1'] },
  ];
  const out: Uint8Array[] = [];
  for (const s of specs) {
    const r = encodeAdvert({ ...base, ...s });
    assert.ok(r.ok, r.ok ? '' : r.error);
    out.push(r.bytes);
  }
  // A CARP advertisement (36-byte header, authlen 7) on protocol 112.
  const carp = new Uint8Array(20 + 36);
  carp.set(out[0]!.subarray(0, 20));
  carp[3] = carp.length;
  carp.set([0x21, 7, 0, 7, 0, 1], 20);
  fixChecksums(carp);
  out.push(carp);
  const dir = join(SHARED, 'corpus', 'pcap');
  for (const f of ['vrrp.pcap', 'vrrp-vrrp_print-oobr.pcap', 'vrrp-vrrp_print-oobr-2.pcap']) {
    if (!existsSync(join(dir, f))) continue;
    const c = readCapture(readFileSync(join(dir, f)));
    if (!c.ok) continue;
    // The corpus repeats itself; keep each distinct packet once.
    const seen = new Set<string>();
    for (const fr of c.capture.frames) {
      const l = ipFromFrame(fr.linkType, fr.data);
      if (!l.ok) continue;
      const k = Buffer.from(l.ip).toString('hex');
      if (!seen.has(k)) { seen.add(k); out.push(new Uint8Array(l.ip)); } // a copy: Buffer slices are views
    }
  }
  return out;
}

const EXPECTS: ExpectedInstance[] = [
  { version: 2, authType: 'none', intervalCs: 100, addresses: ['10.0.0.100', '10.0.0.101'] },
  { version: 2, authType: 'PASS', authKey: authKey('secret12'), intervalCs: 100 },
  { version: 2, authType: 'AH', authKey: authKey('ahpass'), intervalCs: 100, ahLastSeq: 1 },
  { version: 3, authType: 'none', intervalCs: 50, unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: '10.0.0.1', minTtl: 10, maxTtl: 255 }] },
  { version: 3, authType: 'none', intervalCs: 100, addresses: ['fd00::1', '2001:db8::5'] },
  { version: 3, authType: 'none', intervalCs: 100, oldUnicastChecksum: 'never', unicast: true, v3ChecksumAsV2: false },
];

const INTERESTING = [0, 1, 2, 3, 4, 5, 6, 7, 0x0f, 0x10, 0x20, 0x21, 0x22, 0x31, 0x33, 0x40, 0x45, 0x46, 0x4f, 0x60, 0x7f, 0x80, 0xfe, 0xff, 17, 44, 51, 112];

/** Make the IP and VRRP checksums right again so mutations reach the deeper checks. */
function fixChecksums(p: Uint8Array): void {
  if (p.length < 20) return;
  const v = p[0]! >> 4;
  if (v === 4) {
    const ihl = (p[0]! & 0x0f) * 4;
    if (ihl < 20 || ihl > p.length) return;
    p[10] = 0; p[11] = 0;
    const c = internetChecksum(p, 0, ihl);
    p[10] = c >> 8; p[11] = c & 0xff;
    let off = ihl;
    if (p[9] === 51) off += 24;
    if (off + 8 > p.length) return;
    const len = p.length - off;
    p[off + 6] = 0; p[off + 7] = 0;
    const sum = p[off]! >> 4 === 3 ? ipv4PseudoSum(p.subarray(12, 16), p.subarray(16, 20), 112, len) : 0;
    const vc = internetChecksum(p, off, len, sum);
    p[off + 6] = vc >> 8; p[off + 7] = vc & 0xff;
  } else if (v === 6 && p.length >= 48) {
    const len = p.length - 40;
    p[46] = 0; p[47] = 0;
    const vc = internetChecksum(p, 40, len, ipv6PseudoSum(p.subarray(8, 24), p.subarray(24, 40), 112, len));
    p[46] = vc >> 8; p[47] = vc & 0xff;
  }
}

/** Bytes before the VRRP message: IPv4 header (and AH), or the IPv6 header. */
function headerLength(p: Uint8Array): number {
  if (!p.length) return 0;
  if (p[0]! >> 4 === 6) return Math.min(40, p.length);
  return Math.min(p.length, (p[0]! & 0x0f) * 4 + (p[9] === 51 ? 24 : 0));
}

/** Keep the IP length fields in step with the bytes (so a mutation is judged on its VRRP content). */
function fixLengths(p: Uint8Array): void {
  if (p.length < 6) return;
  if (p[0]! >> 4 === 4) { p[2] = p.length >> 8; p[3] = p.length & 0xff; } else if (p[0]! >> 4 === 6) { p[4] = (p.length - 40) >> 8; p[5] = (p.length - 40) & 0xff; }
}

function mutateBytes(src: Uint8Array, r: () => number, pool: Uint8Array[]): Uint8Array {
  let p: Uint8Array = new Uint8Array(src);
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * Math.max(1, p.length));
    switch (Math.floor(r() * 8)) {
      case 0: if (p.length) p[at] = p[at]! ^ (1 << Math.floor(r() * 8)); break;
      case 1: if (p.length) p[at] = INTERESTING[Math.floor(r() * INTERESTING.length)]!; break;
      case 2: if (p.length) p[at] = Math.floor(r() * 256); break;
      case 3: p = p.slice(0, Math.floor(r() * (p.length + 1))); break;
      case 4: { // grow
        const extra = new Uint8Array(1 + Math.floor(r() * 40)).map(() => Math.floor(r() * 256));
        const q = new Uint8Array(p.length + extra.length);
        q.set(p); q.set(extra, p.length);
        p = q;
        break;
      }
      case 5: { // delete a run
        const len = 1 + Math.floor(r() * 8);
        p = new Uint8Array([...p.subarray(0, at), ...p.subarray(at + len)]);
        break;
      }
      case 6: { // splice with another seed
        const o = pool[Math.floor(r() * pool.length)]!;
        const cut = Math.floor(r() * o.length);
        p = new Uint8Array([...p.subarray(0, at), ...o.subarray(cut)]);
        break;
      }
      default: { // the bytes where most VRRP rules live: version/type, count, auth type, interval
        const f = [0, 1, 2, 3, 4, 5][Math.floor(r() * 6)]!;
        if (f < p.length) p[f] = r() < 0.5 ? INTERESTING[Math.floor(r() * INTERESTING.length)]! : Math.floor(r() * 256);
      }
    }
  }
  return p;
}

/**
 * Three out of four mutations keep the IP header (or IP + AH) and work on the VRRP message,
 * repairing lengths and checksums so the deeper rules are reached; the rest hit anything.
 */
function mutate(src: Uint8Array, r: () => number, pool: Uint8Array[]): Uint8Array {
  if (r() < 0.75) {
    const h = headerLength(src);
    const body = mutateBytes(src.subarray(h), r, pool);
    const p = new Uint8Array(h + body.length);
    p.set(src.subarray(0, h));
    p.set(body, h);
    if (r() < 0.9) fixLengths(p);
    if (r() < 0.8) fixChecksums(p);
    return p;
  }
  const p = mutateBytes(src, r, pool);
  if (r() < 0.3) fixLengths(p);
  if (r() < 0.5) fixChecksums(p);
  return p;
}

function randomPacket(r: () => number): Uint8Array {
  const p = new Uint8Array(Math.floor(r() * 120)).map(() => Math.floor(r() * 256));
  if (p.length && r() < 0.7) {
    // Often a plausible start, so the random bytes get past the first checks.
    p[0] = r() < 0.5 ? 0x45 : 0x60;
    if (p.length > 9 && r() < 0.8) { p[9] = 112; p[6] = 112; }
    if (r() < 0.5) fixChecksums(p);
  }
  return p;
}

function check(res: DecodeResult): void {
  if (res.ok) {
    assert.equal(res.packet.checksumOk, true);
    assert.ok(res.packet.addresses.length === res.packet.count);
  } else {
    assert.ok(REJECT_REASONS.includes(res.reason), res.reason);
    assert.ok(typeof res.detail === 'string' && res.detail.length > 0);
  }
}

test(`${PACKETS} random and mutated packets: every one decoded or rejected with a reason`, { timeout: 300_000 }, () => {
  const r = rng(SEED);
  const pool = seeds();
  const tally = new Map<RejectReason | 'accepted', number>();
  const tallyX = new Map<RejectReason | 'accepted', number>();
  const count = (m: typeof tally, res: DecodeResult): void => {
    const k = res.ok ? 'accepted' : res.reason;
    m.set(k, (m.get(k) ?? 0) + 1);
  };
  const started = process.hrtime.bigint();
  let withExpect = 0;
  for (let i = 0; i < PACKETS; i++) {
    const p = i % 10 === 9 ? randomPacket(r) : mutate(pool[Math.floor(r() * pool.length)]!, r, pool);
    try {
      const res = decodeIpPacket(p);
      check(res);
      count(tally, res);
      if (i % 4 === 0) {
        const rx = decodeIpPacket(p, { expect: EXPECTS[Math.floor(r() * EXPECTS.length)]! });
        check(rx);
        count(tallyX, rx);
        withExpect++;
      }
      if (i % 8 === 1 && p.length > 20) {
        const six = p[0]! >> 4 === 6;
        check(decodeVrrp(p.subarray(six ? 40 : 20), six
          ? { family: 'inet6', src: 'fe80::1', dst: 'ff02::12', ttl: p[7] ?? -1 }
          : { family: 'inet', src: '10.0.0.1', dst: '224.0.0.18', ttl: p[8] ?? -1 }));
      }
    } catch (e) {
      assert.fail(`case ${i} (seed 0x${SEED.toString(16)}): ${(e as Error).stack}\nbytes ${Buffer.from(p).toString('hex')}`);
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`# fuzz: ${PACKETS} packets (${pool.length} seeds, ${withExpect} also against an expected instance) in ${(ms / 1000).toFixed(1)} s`);
  console.log(`#   ${'outcome'.padEnd(16)} ${'no instance'.padStart(11)} ${'%'.padStart(7)} ${'instance'.padStart(9)}`);
  const keys = [...new Set([...tally.keys(), ...tallyX.keys()])].sort((a, b) => (tally.get(b) ?? 0) - (tally.get(a) ?? 0));
  for (const k of keys) {
    const n = tally.get(k) ?? 0;
    console.log(`#   ${k.padEnd(16)} ${String(n).padStart(11)} ${(100 * n / PACKETS).toFixed(2).padStart(6)}% ${String(tallyX.get(k) ?? 0).padStart(9)}`);
  }
  // The mutations must reach past the IP layer: every reason seen, and good packets too.
  assert.ok((tally.get('accepted') ?? 0) > 10_000);
  assert.deepEqual(REJECT_REASONS.filter((x) => !tally.has(x) && !tallyX.has(x)), [], 'reasons never reached');
});

test(`${CAPTURES} mutated capture files through reader, link layer and watcher`, { timeout: 120_000 }, () => {
  const r = rng(SEED ^ 0x5a5a);
  const pool = seeds();
  const ether = (ip: Uint8Array): Uint8Array => new Uint8Array([1, 0, 0x5e, 0, 0, 0x12, 0, 0, 0x5e, 0, 1, 1, 0x08, 0x00, ...ip]);
  const frames = pool.slice(0, 12).map((ip, i) => ({ tsSec: 1000 + i, tsNsec: i * 1000, data: ether(ip) }));
  const files = [
    writePcap(LINKTYPE_ETHERNET, frames), writePcap(LINKTYPE_ETHERNET, frames, { bigEndian: true, nanosecond: true }),
    writePcapng([{ linkType: LINKTYPE_ETHERNET }, { linkType: 101, tsResol: 9 }], [...frames, { tsSec: 5, tsNsec: 5, data: pool[0]!, interfaceId: 1 }]),
  ];
  let damaged = 0;
  let records = 0;
  for (let i = 0; i < CAPTURES; i++) {
    const f = new Uint8Array(files[i % files.length]!);
    const hits = 1 + Math.floor(r() * 6);
    let bytes: Uint8Array = f;
    for (let k = 0; k < hits; k++) {
      const at = Math.floor(r() * bytes.length);
      if (r() < 0.15) bytes = bytes.slice(0, at);
      else bytes[at] = r() < 0.5 ? INTERESTING[Math.floor(r() * INTERESTING.length)]! : Math.floor(r() * 256);
    }
    try {
      const c = readCapture(bytes);
      if (!c.ok) { assert.ok(c.error.length > 0); damaged++; continue; }
      if (c.capture.error) damaged++;
      const w = newWatch();
      for (const fr of c.capture.frames) {
        const l = ipFromFrame(fr.linkType, fr.data);
        if (!l.ok) continue;
        const rec = recordFromFrame({ index: fr.index, tsSec: fr.tsSec, tsNsec: fr.tsNsec, segment: '', ip: l.ip });
        if (rec) { observe(w, rec); records++; }
      }
      summarize(w);
    } catch (e) {
      assert.fail(`capture case ${i}: ${(e as Error).stack}\nbytes ${Buffer.from(bytes).toString('hex')}`);
    }
  }
  console.log(`# fuzz: ${CAPTURES} mutated capture files, ${damaged} reported damaged, ${records} VRRP records`);
  assert.ok(records > CAPTURES);
});
