// The wire watcher: records per packet, who is master, and each conflict rule, on scenarios built
// with keel's encoder; then the `keel watch` command's arguments, output forms and exit codes.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEEL } from '../../helpers/env.js';
import { encodeAdvert, type AdvertSpec } from '../../../src/vrrp/packet.js';
import {
  RECORD_JSON_KEYS, newWatch, observe, recordFromFrame, recordJson, summarize,
  type AdvertRecord, type ConflictKind, type VridSummary,
} from '../../../src/vrrp/watch.js';
import { LINKTYPE_RAW, writePcap } from '../../../src/capture/pcap.js';
import { runWatch } from '../../../src/daemon/watch-cli.js';

const BASE: AdvertSpec = { version: 2, vrid: 10, priority: 100, intervalCs: 100, addresses: ['192.168.0.10'], src: '10.0.0.1' };

function ip(spec: Partial<AdvertSpec>): Uint8Array {
  const r = encodeAdvert({ ...BASE, ...spec });
  if (!r.ok) throw new Error(r.error);
  return r.bytes;
}

type Ev = [seconds: number, spec: Partial<AdvertSpec>];

function watch(events: Ev[]): { records: AdvertRecord[]; vrids: VridSummary[] } {
  const w = newWatch();
  const records: AdvertRecord[] = [];
  events.forEach(([t, spec], i) => {
    const r = recordFromFrame({ index: i + 1, tsSec: Math.floor(t), tsNsec: Math.round((t % 1) * 1e9), segment: '', ip: ip(spec) });
    assert.ok(r);
    records.push(r);
    observe(w, r);
  });
  return { records, vrids: summarize(w).vrids };
}

/** A router advertising every `every` seconds from `from` to `to` (inclusive). */
function adverts(src: string, from: number, to: number, spec: Partial<AdvertSpec> = {}, every = 1): Ev[] {
  const out: Ev[] = [];
  for (let t = from; t <= to + 1e-9; t += every) out.push([t, { src, ...spec }]);
  return out;
}

const byTime = (evs: Ev[]): Ev[] => [...evs].sort((a, b) => a[0] - b[0]);
const kinds = (v: VridSummary): ConflictKind[] => v.conflicts.map((c) => c.kind);

describe('records', () => {
  test('an advert becomes a record with the documented JSON keys', () => {
    const { records } = watch([[1, { authType: 'PASS', authPass: 'pw' }]]);
    const j = recordJson(records[0]!);
    assert.deepEqual(Object.keys(j), [...RECORD_JSON_KEYS]);
    assert.deepEqual(j, {
      src: '10.0.0.1', dst: '224.0.0.18', ttl: 255, version: 2, vrid: 10, priority: 100, count: 1, authType: 'simple', authData: 'pw',
      interval: 1, addresses: ['192.168.0.10'], checksumOk: true, valid: true, reason: null,
    });
  });
  test('v3: no auth fields, interval in seconds from centiseconds', () => {
    const { records } = watch([[1, { version: 3, intervalCs: 25 }]]);
    assert.equal(records[0]!.authType, null);
    assert.equal(records[0]!.authData, null);
    assert.equal(records[0]!.interval, 0.25);
  });
  test('other protocols are not VRRP records; a damaged VRRP packet is, invalid', () => {
    const udp = ip({});
    udp[9] = 17;
    udp[10] = 0; udp[11] = 0;
    assert.equal(recordFromFrame({ index: 1, tsSec: 0, tsNsec: 0, segment: '', ip: udp }), undefined);
    const bad = ip({});
    bad[bad.length - 12]! ^= 1; // inside the address: checksum now wrong
    const r = recordFromFrame({ index: 1, tsSec: 0, tsNsec: 0, segment: '', ip: bad })!;
    assert.equal(r.valid, false);
    assert.equal(r.reason, 'checksum');
    assert.equal(r.checksumOk, false);
    assert.equal(r.vrid, 10);
    const cut = recordFromFrame({ index: 1, tsSec: 0, tsNsec: 0, segment: '', ip: ip({}).subarray(0, 30) })!;
    assert.equal(cut.reason, 'truncated');
    assert.equal(cut.src, '10.0.0.1');
    assert.equal(cut.vrid, null);
  });
});

describe('master', () => {
  test('one router advertising: it is master, no conflicts', () => {
    const [v] = watch(adverts('10.0.0.1', 0, 10)).vrids;
    assert.equal(v!.master, '10.0.0.1');
    assert.deepEqual(v!.conflicts, []);
    assert.equal(v!.routers[0]!.adverts, 11);
    assert.equal(v!.routers[0]!.advertising, true);
  });
  test('preemption: a higher priority takes over and the old master falls silent, no conflict', () => {
    const evs = byTime([...adverts('10.0.0.1', 0, 10), ...adverts('10.0.0.2', 10.5, 20, { priority: 200 })]);
    const [v] = watch(evs).vrids;
    assert.equal(v!.master, '10.0.0.2');
    assert.deepEqual(kinds(v!), []);
    assert.equal(v!.routers.find((r) => r.address === '10.0.0.1')!.advertising, false);
  });
  test('a lower priority starting as master is answered once and yields: no conflict', () => {
    // B (lower) sends one advert, A answers at once and keeps on; B never sends again.
    const evs = byTime([...adverts('10.0.0.1', 0, 10, { priority: 200 }), [5.2, { src: '10.0.0.2', priority: 50 }], [5.21, { src: '10.0.0.1', priority: 200 }]]);
    const [v] = watch(evs).vrids;
    assert.equal(v!.master, '10.0.0.1');
    assert.deepEqual(kinds(v!), []);
  });
  test('priority 0 on shutdown ends a router\'s mastership at once', () => {
    const evs = byTime([...adverts('10.0.0.1', 0, 5, { priority: 200 }), [5.5, { src: '10.0.0.1', priority: 0 }], ...adverts('10.0.0.2', 6.2, 6.2)]);
    const [v] = watch(evs).vrids;
    assert.equal(v!.master, '10.0.0.2');
    const a = v!.routers.find((r) => r.address === '10.0.0.1')!;
    assert.equal(a.advertising, false);
    assert.deepEqual(a.priorities, [0, 200]);
    assert.equal(a.priority, 0);
  });
  test('when everyone has stopped, the master is the last to advertise a non-zero priority', () => {
    const evs = byTime([...adverts('10.0.0.2', 0, 3), ...adverts('10.0.0.1', 4, 6), [7, { src: '10.0.0.1', priority: 0 }], ...adverts('10.0.0.3', 50, 50, { vrid: 11 })]);
    const v = watch(evs).vrids.find((x) => x.vrid === 10)!;
    assert.equal(v.master, '10.0.0.1');
    assert.ok(v.routers.every((r) => !r.advertising));
  });
  test('equal priorities both advertising: the higher address wins, as the VRRP tie-break does', () => {
    const evs = byTime([...adverts('10.0.0.9', 0, 5), ...adverts('10.0.0.10', 0.5, 5.5)]);
    const [v] = watch(evs).vrids;
    assert.equal(v!.master, '10.0.0.10');
  });
});

describe('conflicts', () => {
  test('two masters at once: both keep advertising for the same VRID', () => {
    const evs = byTime([...adverts('10.0.0.1', 0, 10), ...adverts('10.0.0.2', 0.5, 10.5, { priority: 90 })]);
    const [v] = watch(evs).vrids;
    const c = v!.conflicts.find((x) => x.kind === 'two-masters');
    assert.ok(c, JSON.stringify(v!.conflicts));
    assert.deepEqual(c.routers, ['10.0.0.1', '10.0.0.2']);
    assert.match(c.message, /both advertise as master for VRID 10/);
    assert.equal(v!.conflicts.filter((x) => x.kind === 'two-masters').length, 1, 'reported once per overlap');
  });
  test('two masters is judged per VRID and per family: the same VRID on IPv4 and IPv6 is two routers', () => {
    const evs = byTime([...adverts('10.0.0.1', 0, 10), ...adverts('fe80::1', 0.5, 10.5, { version: 3, addresses: ['fd00::1'] })]);
    const vs = watch(evs).vrids;
    assert.equal(vs.length, 2);
    assert.deepEqual(vs.map((v) => [v.family, v.master, v.conflicts.length]), [['inet', '10.0.0.1', 0], ['inet6', 'fe80::1', 0]]);
  });
  test('different address lists, intervals, auth and versions between routers', () => {
    const evs = byTime([
      ...adverts('10.0.0.1', 0, 3),
      ...adverts('10.0.0.2', 20, 23, { addresses: ['192.168.0.11'], intervalCs: 200, authType: 'PASS', authPass: 'x' }, 2),
      ...adverts('10.0.0.3', 40, 43, { version: 3 }),
    ]);
    const [v] = watch(evs).vrids;
    assert.deepEqual(kinds(v!).sort(), ['addresses', 'auth', 'interval', 'version']);
    assert.match(v!.conflicts.find((c) => c.kind === 'addresses')!.message, /10\.0\.0\.1, 10\.0\.0\.3: 192\.168\.0\.10; 10\.0\.0\.2: 192\.168\.0\.11/);
  });
  test('the same address list in another order is no conflict; a single router changing its list is none either', () => {
    const evs = byTime([
      ...adverts('10.0.0.1', 0, 3, { addresses: ['192.168.0.10', '192.168.0.11'] }),
      ...adverts('10.0.0.2', 20, 23, { addresses: ['192.168.0.11', '192.168.0.10'] }),
      ...adverts('10.0.0.3', 30, 31, { addresses: ['192.168.0.10'] }), ...adverts('10.0.0.3', 32, 33, { addresses: ['192.168.0.11', '192.168.0.10'] }),
    ]);
    assert.deepEqual(kinds(watch(evs).vrids[0]!), []);
  });
  test('TTL not 255 on a multicast advert: invalid, and a conflict; unicast adverts carry unicast_ttl legitimately', () => {
    const { records, vrids } = watch([[0, { ttl: 64 }], [1, { ttl: 17, dst: '10.0.0.2', src: '10.0.0.3' }]]);
    assert.equal(records[0]!.reason, 'ttl');
    assert.equal(records[1]!.valid, true);
    const c = vrids[0]!.conflicts;
    assert.deepEqual(c.map((x) => [x.kind, x.routers]), [['ttl', ['10.0.0.1']]]);
    assert.deepEqual(vrids[0]!.invalid, { ttl: 1 });
  });
  test('CARP on protocol 112 with a vhid equal to a VRID', () => {
    const carp = new Uint8Array(20 + 36);
    carp.set(ip({ src: '10.0.0.66' }).subarray(0, 20));
    carp[2] = 0; carp[3] = 56;
    carp.set([0x21, 10, 0, 7, 0, 1, 0, 0], 20);
    carp.fill(0, 28);
    let s = 0;
    for (let i = 20; i < 56; i += 2) s += (carp[i]! << 8) | carp[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    carp[26] = (~s >> 8) & 0xff; carp[27] = ~s & 0xff;
    carp[10] = 0; carp[11] = 0;
    let h = 0;
    for (let i = 0; i < 20; i += 2) h += (carp[i]! << 8) | carp[i + 1]!;
    while (h > 0xffff) h = (h & 0xffff) + (h >>> 16);
    carp[10] = (~h >> 8) & 0xff; carp[11] = ~h & 0xff;
    const w = newWatch();
    const r = recordFromFrame({ index: 1, tsSec: 0, tsNsec: 0, segment: '', ip: carp })!;
    assert.equal(r.reason, 'carp');
    assert.equal(r.vrid, 10);
    assert.equal(r.interval, 1);
    observe(w, r);
    const [v] = summarize(w).vrids;
    assert.deepEqual(kinds(v!), ['carp']);
    assert.match(v!.conflicts[0]!.message, /10\.0\.0\.66 \(1\)/);
  });
  test('two address owners (priority 255)', () => {
    const evs = byTime([...adverts('10.0.0.1', 0, 2, { priority: 255 }), ...adverts('10.0.0.2', 10, 12, { priority: 255 })]);
    assert.deepEqual(kinds(watch(evs).vrids[0]!), ['owners']);
  });
});

describe('keel watch (the command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-watch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const io = () => {
    const o = { out: '', err: '' };
    return { o, io: { out: (s: string) => { o.out += s; return true; }, err: (s: string) => { o.err += s; } } };
  };
  const file = join(dir, 'split.pcap');
  const evs = byTime([...adverts('10.0.0.1', 0, 4), ...adverts('10.0.0.2', 0.5, 4.5, { priority: 90 })]);
  writeFileSync(file, writePcap(LINKTYPE_RAW, evs.map(([t, s]) => ({ tsSec: 1700000000 + Math.floor(t), tsNsec: Math.round((t % 1) * 1e9), data: ip(s) }))));

  test('human output: one line per advert, then the summary with the conflict', async () => {
    const { o, io: w } = io();
    assert.equal(await runWatch(['--pcap', file], w), 0, o.err);
    const lines = o.out.split('\n');
    assert.equal(lines[0], '2023-11-14 22:13:20.000000 10.0.0.1 -> 224.0.0.18 v2 vrid 10 prio 100 auth none intvl 1s addrs 192.168.0.10');
    assert.equal(lines.filter((l) => /^2023-/.test(l)).length, evs.length);
    assert.ok(lines.includes('VRID 10 (IPv4): master 10.0.0.1'), o.out);
    assert.ok(lines.some((l) => /^ {2}CONFLICT two-masters: 10\.0\.0\.1 and 10\.0\.0\.2/.test(l)), o.out);
  });
  test('--json: one object per advert, the last one {"summary": ...}', async () => {
    const { o, io: w } = io();
    assert.equal(await runWatch(['--json', `--pcap=${file}`], w), 0, o.err);
    const lines = o.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, evs.length + 1);
    const s = lines.at(-1)!.summary as { packets: number; vrids: { master: string; conflicts: { kind: string }[]; routers: { address: string; first: string }[] }[] };
    assert.equal(s.packets, evs.length);
    assert.equal(s.vrids[0]!.master, '10.0.0.1');
    assert.deepEqual(s.vrids[0]!.conflicts.map((c) => c.kind), ['two-masters']);
    assert.equal(s.vrids[0]!.routers[0]!.first, '2023-11-14T22:13:20.000000Z');
  });
  test('errors: one clear line and exit 1, never a stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['--pcap', join(dir, 'missing.pcap')], /cannot read capture .*missing\.pcap: no such file/],
      [['--pcap', dir], /is a directory/],
      [['--pcap', __filenameLike()], /not a pcap or pcapng capture/],
      [['no-such-if0'], /cannot watch no-such-if0/],
      [[], /nothing to watch/],
      [['--pcap'], /--pcap needs a capture file/],
      [['--bogus'], /unknown option '--bogus'/],
      [['eth0', '--pcap', file], /either an interface or --pcap/],
      [['a', 'b'], /unexpected argument 'b'/],
    ];
    for (const [argv, re] of cases) {
      const { o, io: w } = io();
      assert.equal(await runWatch(argv, w), 1, argv.join(' '));
      assert.match(o.err, re, argv.join(' '));
      assert.doesNotMatch(o.err, /\n\s+at /);
    }
  });
  test('./bin/keel watch is wired in main: exit codes through the real entry point', { skip: process.platform === 'win32' ? 'posix' : undefined }, () => {
    const good = spawnSync(KEEL, ['watch', '--pcap', file, '--json'], { encoding: 'utf8' });
    assert.equal(good.status, 0, good.stderr);
    assert.equal(good.stdout.trim().split('\n').length, evs.length + 1);
    const live = spawnSync(KEEL, ['watch', 'no-such-if0'], { encoding: 'utf8' });
    assert.equal(live.status, 1);
    assert.match(live.stderr, /^keel watch: cannot watch no-such-if0/);
    const missing = spawnSync(KEEL, ['watch', '--pcap', join(dir, 'nope')], { encoding: 'utf8' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^keel watch: cannot read capture/);
  });

  function __filenameLike(): string {
    const f = join(dir, 'notes.txt');
    writeFileSync(f, 'not a capture at all\n');
    return f;
  }
});
