// Byte-level interoperability (issue 4, item 7): the same config run by keel and then by real
// keepalived 2.2.7 on the same host of a Lab, each alone and master, its adverts captured by
// tcpdump on a second host. Per VRID, the first priority-255 advert and the priority-0 advert sent
// on SIGTERM must be the same frame byte for byte — Ethernet header included — once the fields
// each sender chooses freely are set aside: the IPv4 id and the header checksum covering it, and
// the IPv6 flow label the kernel picks. (With AH the ICV covers the IP id, so it is set aside too
// when the two ids differ; the AH sequence number is compared.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepalivedUnavailable, netnsUnavailable, which } from '../helpers/env.js';
import type { LabHost } from '../helpers/lab.js';
import { globalDefs, labFixture, tempDir, waitFor, type Implementation, type Router } from '../helpers/vrrp-lab.js';
import { ipFromFrame, readCapture } from '../../src/capture/pcap.js';
import { decodeIpPacket } from '../../src/vrrp/packet.js';

const skip = netnsUnavailable() ?? keepalivedUnavailable() ?? (which('tcpdump') ? undefined : 'needs tcpdump');
const fx = labFixture();

const inst = (name: string, vrid: number, body: string, vips: string[]): string =>
  `vrrp_instance ${name} {\n  state MASTER\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 255\n  advert_int 1\n${body}` +
  `  virtual_ipaddress {\n${vips.map((v) => `    ${v}\n`).join('')}  }\n}\n`;

const CONF = globalDefs('bytes') + [
  inst('V2N', 61, '', ['10.79.1.1/32', '10.79.1.2/32']),
  inst('V2P', 62, '  authentication {\n    auth_type PASS\n    auth_pass s3cret99\n  }\n', ['10.79.2.1/32']),
  inst('V2A', 63, '  authentication {\n    auth_type AH\n    auth_pass ahpass\n  }\n', ['10.79.3.1/32', '10.79.3.2/32']),
  inst('V3', 64, '  version 3\n', ['10.79.4.1/32']),
  inst('V3LL', 65, '  version 3\n', ['fd00:79::65/128', 'fd00:79::66/128']),
  inst('V2U', 66, '  unicast_src_ip 10.79.0.1\n  unicast_peer {\n    10.79.0.2\n  }\n', ['10.79.6.1/32']),
].join('');
const NAMES = ['V2N', 'V2P', 'V2A', 'V3', 'V3LL', 'V2U'];

interface Frame { vrid: number; priority: number; bytes: Buffer; ipOffset: number; v6: boolean }

/** Run `impl` alone on `a` for a few seconds, stop it with SIGTERM; the frames captured on `b`. */
async function capture(impl: Implementation, a: LabHost, b: LabHost): Promise<{ frames: Frame[]; router: Router }> {
  const pcap = join(tempDir(`bytes-${impl}`), 'adverts.pcap');
  const td = b.spawn('tcpdump', ['-i', 'eth0', '-U', '-n', '-w', pcap, 'ip proto 112 or ip6 proto 112 or ip proto 51']);
  let err = '';
  td.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  await waitFor('tcpdump', () => /listening on/.test(err), 5_000);
  const r = fx.router(impl, a, CONF);
  await waitFor(`${impl} master on every instance`, () => NAMES.every((n) => r.state(n) === 'MASTER'), 15_000, [r]);
  await new Promise((res) => setTimeout(res, 2_500));
  r.kill('SIGTERM');
  assert.equal(await r.exited(), 0, `${impl} exits cleanly on SIGTERM`);
  // tcpdump writes what it has read; on a loaded machine it may still be reading: wait until the
  // capture holds a priority-0 advert of every VRID (or 3 s), then stop it.
  const priorityZeros = (): number => {
    try {
      const c = readCapture(readFileSync(pcap));
      if (!c.ok) return 0;
      const seen = new Set<number>();
      for (const f of c.capture.frames) {
        const link = ipFromFrame(f.linkType, f.data);
        const got = link.ok ? decodeIpPacket(link.ip) : undefined;
        if (got?.ok && got.packet.priority === 0) seen.add(got.packet.vrid);
      }
      return seen.size;
    } catch {
      return 0;
    }
  };
  await waitFor('the priority-0 adverts captured', () => priorityZeros() >= NAMES.length, 3_000).catch(() => undefined);
  await new Promise((res) => setTimeout(res, 200));
  td.kill('SIGINT');
  await new Promise((res) => td.once('exit', res));
  const read = readCapture(readFileSync(pcap));
  assert.ok(read.ok, read.ok ? '' : read.error);
  const frames: Frame[] = [];
  for (const f of read.capture.frames) {
    const link = ipFromFrame(f.linkType, f.data);
    assert.ok(link.ok, `${impl} frame ${f.index}: ${link.ok ? '' : link.reason}`);
    const got = decodeIpPacket(link.ip);
    assert.ok(got.ok, `${impl} frame ${f.index}: ${got.ok ? '' : `${got.reason}: ${got.detail}`}`);
    frames.push({
      vrid: got.packet.vrid, priority: got.packet.priority, bytes: Buffer.from(f.data),
      ipOffset: f.data.length - link.ip.length, v6: (link.ip[0]! >> 4) === 6,
    });
  }
  return { frames, router: r };
}

/** The frame with the sender's free choices set aside (see the header comment). */
function normalise(f: Frame, ahIcvAside: boolean): string {
  const b = Buffer.from(f.bytes);
  const o = f.ipOffset;
  if (f.v6) {
    b[o + 1] = b[o + 1]! & 0xf0;
    b[o + 2] = 0;
    b[o + 3] = 0;
  } else {
    b.fill(0, o + 4, o + 6); // id
    b.fill(0, o + 10, o + 12); // header checksum
    // AH (protocol 51) after a 20-byte header: next, len, reserved(2), SPI(4), seq(4), ICV(12).
    if (b[o + 9] === 51 && ahIcvAside) b.fill(0, o + 20 + 12, o + 20 + 24);
  }
  return b.toString('hex');
}

const ipId = (f: Frame): number => f.bytes.readUInt16BE(f.ipOffset + 4);

test('keel\'s adverts are keepalived\'s byte for byte (v2 none/PASS/AH, v3 IPv4, v3 IPv6 link-local, unicast), IP id aside', { skip, timeout: 120_000 }, async (t) => {
  const lab = fx.lab('ab');
  const a = lab.addHost('a', ['10.79.0.1/24']);
  const b = lab.addHost('b', ['10.79.0.2/24']);
  // One MAC, hence one EUI-64 link-local address, for both runs.
  a.ip('link', 'set', 'eth0', 'address', '02:00:00:79:00:01');
  await waitFor('a\'s link-local address', () => {
    const out = a.ip('-6', 'addr', 'show', 'dev', 'eth0');
    return /fe80::/.test(out) && !/tentative/.test(out);
  }, 10_000);

  const keel = await capture('keel', a, b);
  const ka = await capture('keepalived', a, b);

  const diffs: string[] = [];
  for (const vrid of [61, 62, 63, 64, 65, 66]) {
    for (const prio of [255, 0]) {
      const mine = keel.frames.filter((f) => f.vrid === vrid && f.priority === prio);
      const theirs = ka.frames.filter((f) => f.vrid === vrid && f.priority === prio);
      assert.ok(theirs.length >= 1, `keepalived sent no priority-${prio} advert for VRID ${vrid}`);
      assert.ok(mine.length >= 1, `keel sent no priority-${prio} advert for VRID ${vrid}`);
      if (prio === 0) assert.equal(mine.length, theirs.length, `VRID ${vrid}: priority-0 adverts on SIGTERM`);
      const m = mine[0]!;
      const k = theirs[0]!;
      const ahAside = !m.v6 && ipId(m) !== ipId(k);
      const x = normalise(m, ahAside);
      const y = normalise(k, ahAside);
      if (x !== y) diffs.push(`VRID ${vrid} priority ${prio}:\n  keel       ${x}\n  keepalived ${y}`);
      else t.diagnostic(`VRID ${vrid} priority ${prio}: ${m.bytes.length} bytes equal${ahAside && m.bytes[m.ipOffset + 9] === 51 ? ' (AH ICV aside: IP ids differ)' : ''}`);
    }
  }
  assert.deepEqual(diffs, [], diffs.join('\n'));
});
