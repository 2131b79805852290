// Golden: every advert in tcpdump's VRRP capture decodes to what tcpdump printed (vrrp-v.out),
// re-encodes to the same VRRP bytes, and the two malformed captures are rejected with a reason.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED, sharedUnavailable } from '../../helpers/env.js';
import { readCapture, ipFromFrame, type CaptureFrame } from '../../../src/capture/pcap.js';
import { parseIpHeader } from '../../../src/vrrp/ip.js';
import { REJECT_REASONS, authLabel, decodeIpPacket, decodeVrrp, encodeVrrp } from '../../../src/vrrp/packet.js';
import { formatTime } from '../../../src/vrrp/watch.js';
import { runWatch } from '../../../src/daemon/watch-cli.js';

const DIR = join(SHARED, 'corpus', 'pcap');
const skip = sharedUnavailable();

interface Printed {
  n: number;
  time: string;
  ttl: number;
  src: string;
  dst: string;
  version: number;
  vrid: number;
  prio: number;
  authtype?: string;
  intvl: number;
  unit: string;
  length: number;
  addrs: string[];
  auth?: string;
}

/** tcpdump -v output: one advert per record, IPv4 ones spread over two lines. */
function parseTcpdump(text: string): Printed[] {
  const records: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*\d+\s+\d{4}-/.test(line)) records.push(line.trim());
    else if (line.trim() && records.length) records[records.length - 1] += ' ' + line.trim();
  }
  const re = /^(\d+)\s+(\S+ \S+) IP6? \((.*)\) (\S+) > (\S+): VRRPv(\d), Advertisement, vrid (\d+), prio (\d+), (?:authtype (\w+), )?intvl (\d+)(s|cs), length (\d+), addrs(?:\(\d+\))?: (\S+)(?: auth "(.*)")?$/;
  return records.map((r) => {
    const m = re.exec(r);
    if (!m) throw new Error(`unparsed tcpdump line: ${r}`);
    const ttl = /(?:ttl|hlim) (\d+)/.exec(m[3]!);
    return {
      n: Number(m[1]), time: m[2]!, ttl: Number(ttl?.[1]), src: m[4]!, dst: m[5]!, version: Number(m[6]), vrid: Number(m[7]),
      prio: Number(m[8]), authtype: m[9], intvl: Number(m[10]), unit: m[11]!, length: Number(m[12]), addrs: m[13]!.split(','), auth: m[14],
    };
  });
}

function frames(name: string): CaptureFrame[] {
  const r = readCapture(readFileSync(join(DIR, name)));
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.capture.error, undefined);
  return r.capture.frames;
}

describe('tcpdump corpus: vrrp.pcap', { skip }, () => {
  test('every advert decodes to what tcpdump -v printed', () => {
    const printed = parseTcpdump(readFileSync(join(DIR, 'vrrp-v.out'), 'utf8'));
    const fs = frames('vrrp.pcap');
    assert.equal(printed.length, 165);
    assert.equal(fs.length, printed.length);
    let v2 = 0;
    let v3 = 0;
    for (const [i, f] of fs.entries()) {
      const want = printed[i]!;
      const why = `packet ${want.n}`;
      assert.equal(f.index, want.n);
      assert.equal(formatTime(f.tsSec, f.tsNsec, false), want.time, why);
      const link = ipFromFrame(f.linkType, f.data);
      assert.ok(link.ok, why);
      const d = decodeIpPacket(link.ip);
      assert.ok(d.ok, `${why}: ${d.ok ? '' : `${d.reason}: ${d.detail}`}`);
      const p = d.packet;
      assert.equal(p.src, want.src, why);
      assert.equal(p.dst, want.dst, why);
      assert.equal(p.ttl, want.ttl, why);
      assert.equal(p.version, want.version, why);
      assert.equal(p.vrid, want.vrid, why);
      assert.equal(p.priority, want.prio, why);
      assert.equal(p.length, want.length, why);
      assert.deepEqual(p.addresses, want.addrs, why);
      assert.equal(p.count, want.addrs.length, why);
      assert.equal(p.checksumOk, true, why);
      if (want.version === 2) {
        v2++;
        assert.equal(want.unit, 's');
        assert.equal(p.intervalCs, want.intvl * 100, why);
        assert.equal(authLabel(p.authType!), want.authtype, why);
        if (want.auth !== undefined) assert.equal(Buffer.from(p.authData!).toString('latin1').replace(/\0+$/, ''), want.auth, why);
        else assert.deepEqual([...p.authData!], [0, 0, 0, 0, 0, 0, 0, 0], why);
      } else {
        v3++;
        assert.equal(want.unit, 'cs');
        assert.equal(p.intervalCs, want.intvl, why);
        assert.equal(want.authtype, undefined);
        assert.equal(p.authType, null);
      }
    }
    assert.equal(v2, 68);
    assert.equal(v3, 97);
  });

  test('re-encoding each advert from its decoded fields gives the same VRRP bytes (checksums included)', () => {
    for (const f of frames('vrrp.pcap')) {
      const link = ipFromFrame(f.linkType, f.data);
      assert.ok(link.ok);
      const ip = parseIpHeader(link.ip);
      const d = decodeIpPacket(link.ip);
      assert.ok(ip.ok && d.ok);
      const p = d.packet;
      const pass = p.authType === 1 ? Buffer.from(p.authData!).toString('latin1').replace(/\0+$/, '') : undefined;
      const e = encodeVrrp({
        version: p.version as 2 | 3, vrid: p.vrid, priority: p.priority, intervalCs: p.intervalCs, addresses: p.addresses,
        src: p.src, dst: p.dst, authType: p.authType === 1 ? 'PASS' : 'none', authPass: pass,
      });
      assert.ok(e.ok, e.ok ? '' : e.error);
      assert.equal(Buffer.from(e.bytes).toString('hex'), Buffer.from(ip.payload).toString('hex'), `packet ${f.index}`);
    }
  });

  test('keel watch --pcap --json: 165 objects with exactly the documented keys, then the summary', async () => {
    let out = '';
    let err = '';
    const code = await runWatch(['--pcap', join(DIR, 'vrrp.pcap'), '--json'], { out: (s) => { out += s; return true; }, err: (s) => { err += s; } });
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 166);
    const keys = ['src', 'dst', 'ttl', 'version', 'vrid', 'priority', 'count', 'authType', 'authData', 'interval', 'addresses', 'checksumOk', 'valid', 'reason'];
    for (const l of lines.slice(0, -1)) assert.deepEqual(Object.keys(l), keys);
    assert.deepEqual(lines[0], {
      src: '10.0.0.91', dst: '224.0.0.18', ttl: 255, version: 2, vrid: 42, priority: 191, count: 3, authType: 'simple',
      authData: 'abcdefgh', interval: 10, addresses: ['10.4.42.1', '10.4.42.2', '10.4.42.3'], checksumOk: true, valid: true, reason: null,
    });
    const summary = lines.at(-1)!.summary as { vrids: { vrid: number; family: string; master: string; conflicts: unknown[] }[] };
    assert.deepEqual(summary.vrids.map((v) => [v.vrid, v.family, v.master, v.conflicts.length]), [
      [42, 'inet', '10.0.0.97', 0], [43, 'inet', '10.0.0.97', 0], [44, 'inet', '10.0.0.97', 0],
      [45, 'inet6', 'fe80::20c:42ff:fe5e:c2dc', 0], [46, 'inet6', 'fe80::20c:42ff:fe5e:c2dc', 0],
    ]);
  });
});

describe('tcpdump corpus: the malformed captures', { skip }, () => {
  for (const name of ['vrrp-vrrp_print-oobr.pcap', 'vrrp-vrrp_print-oobr-2.pcap']) {
    test(`${name}: every packet rejected with a reason, at the IP layer and in the VRRP message alone`, async () => {
      const outText = readFileSync(join(DIR, name.replace('.pcap', '.out')), 'utf8');
      const fs = frames(name);
      assert.equal(fs.length, outText.split('\n').filter((l) => /^\s*\d+\s+\d{4}-/.test(l)).length);
      for (const f of fs) {
        const link = ipFromFrame(f.linkType, f.data);
        assert.ok(link.ok, `${name} ${f.index}: ${link.ok ? '' : link.reason}`);
        const d = decodeIpPacket(link.ip);
        assert.equal(d.ok, false, `${name} ${f.index} accepted`);
        if (!d.ok) assert.ok(REJECT_REASONS.includes(d.reason) && d.detail.length > 0);
        // Past the broken IP header, the VRRP message is itself malformed.
        const ip = parseIpHeader(link.ip);
        const payload = ip.ok ? ip.payload : link.ip.subarray(Math.min(link.ip.length, (link.ip[0]! & 0x0f) * 4));
        const src = ip.ok ? ip.header.src : link.ip.subarray(12, 16);
        const v = decodeVrrp(payload, { family: 'inet', src: [...src].join('.'), dst: '224.0.0.18', ttl: link.ip[8] ?? -1 });
        assert.equal(v.ok, false, `${name} ${f.index}: VRRP message accepted`);
        if (!v.ok) assert.ok(['too-short', 'length', 'ttl', 'version'].includes(v.reason), `${name} ${f.index}: ${v.reason}`);
      }
      let out = '';
      let err = '';
      const code = await runWatch(['--pcap', join(DIR, name)], { out: (s) => { out += s; return true; }, err: (s) => { err += s; } });
      assert.equal(code, 0, err);
      const advertLines = out.split('\n').filter((l) => /^\d{4}-/.test(l));
      assert.equal(advertLines.length, fs.length);
      for (const l of advertLines) assert.match(l, / INVALID [a-z-]+: /);
    });
  }

  test('the corpus files are where the test expects them', () => {
    for (const f of ['vrrp.pcap', 'vrrp-v.out', 'vrrp-vrrp_print-oobr.pcap', 'vrrp-vrrp_print-oobr-2.pcap']) assert.ok(existsSync(join(DIR, f)), f);
  });
});
