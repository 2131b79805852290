// ipvsadm-style printing. The expected texts are what Debian's ipvsadm 1.31 printed for this
// same table on the test VM's kernel (the VM tests compare against ipvsadm live as well).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatList, formatSave, glibcSort, largeNum } from '../../../src/ipvs/format.js';
import type { KernelTable, KernelServiceEntry } from '../../../src/ipvs/client.js';
import type { KernelDest } from '../../../src/ipvs/codec.js';
import { parseHosts, parseServices, runIpvsCommand } from '../../../src/ipvs/cli.js';
import { MemoryIpvs } from '../../../src/ipvs/memory.js';

const D = (address: string, port: number, method: KernelDest['method'], weight: number, more: Partial<KernelDest> = {}): KernelDest => ({
  family: address.includes(':') ? 'inet6' : 'inet', address, port, method, weight, uthreshold: 0, lthreshold: 0, activeConns: 0, inactConns: 0, persistConns: 0, ...more,
});
const S = (key: KernelServiceEntry['key'], scheduler: string, dests: KernelDest[], more: Partial<KernelServiceEntry> = {}): KernelServiceEntry => ({
  key, scheduler, flags: 0, timeout: 0, netmask: key.family === 'inet6' ? '128' : '255.255.255.255', dests, ...more,
});

// In kernel order (newest first), which ipvsadm sorts.
const TABLE: KernelTable = {
  services: [
    S({ kind: 'fwmark', family: 'inet', fwmark: 12 }, 'dh', [], { flags: 1, timeout: 360 }),
    S({ kind: 'addr', family: 'inet6', protocol: 'TCP', address: '2001:db8::1', port: 443 }, 'sh', [
      D('2001:db8:1::1', 8443, 'NAT', 1), D('10.0.1.7', 443, 'TUN', 1, { tunnelType: 'ipip' }),
    ], { flags: 0x1 | 0x10, timeout: 100, netmask: '64' }),
    S({ kind: 'addr', family: 'inet', protocol: 'SCTP', address: '10.0.0.3', port: 99 }, 'rr', [D('10.0.1.9', 99, 'DR', 2)]),
    S({ kind: 'addr', family: 'inet', protocol: 'UDP', address: '10.0.0.1', port: 53 }, 'mh', [D('10.0.1.1', 53, 'NAT', 0, { uthreshold: 5, lthreshold: 1 })], { flags: 0x1 | 0x4 | 0x8 | 0x10, timeout: 60, netmask: '255.255.0.0' }),
    S({ kind: 'addr', family: 'inet', protocol: 'UDP', address: '10.0.0.1', port: 0 }, 'lblcr', [], { flags: 1, timeout: 10 }),
    S({ kind: 'addr', family: 'inet', protocol: 'TCP', address: '10.0.0.2', port: 80 }, 'wlc', [
      D('10.0.1.5', 80, 'TUN', 1, { tunnelType: 'gue', tunnelPort: 5555, tunnelCsum: 'csum' }),
      D('10.0.1.4', 80, 'TUN', 1, { tunnelType: 'gue', tunnelPort: 5555, tunnelCsum: 'nocsum' }),
      D('10.0.1.3', 80, 'TUN', 1, { tunnelType: 'ipip' }),
      D('10.0.1.2', 80, 'TUN', 1, { tunnelType: 'gre', tunnelCsum: 'nocsum' }),
    ], { flags: 0x8 | 0x10 | 0x20 }),
    S({ kind: 'addr', family: 'inet', protocol: 'TCP', address: '255.255.255.254', port: 8 }, 'sed', []),
  ],
};

test('save: ipvsadm -Sn, sorted as libipvs sorts (with its 32-bit wrap-around)', () => {
  assert.equal(formatSave(TABLE), `-A -t 255.255.255.254:8 -s sed
-A -t 10.0.0.2:80 -s wlc -b flag-1,flag-2,flag-3
-a -t 10.0.0.2:80 -r 10.0.1.2:80 -i -w 1 --tun-type gre --tun-nocsum
-a -t 10.0.0.2:80 -r 10.0.1.3:80 -i -w 1 --tun-type ipip
-a -t 10.0.0.2:80 -r 10.0.1.4:80 -i -w 1 --tun-type gue --tun-port 5555 --tun-nocsum
-a -t 10.0.0.2:80 -r 10.0.1.5:80 -i -w 1 --tun-type gue --tun-port 5555 --tun-csum
-A -u 10.0.0.1:0 -s lblcr -p 10
-A -u 10.0.0.1:53 -s mh -p 60 -M 255.255.0.0 -o -b mh-fallback,mh-port
-a -u 10.0.0.1:53 -r 10.0.1.1:53 -m -w 0
-A --sctp-service 10.0.0.3:99 -s rr
-a --sctp-service 10.0.0.3:99 -r 10.0.1.9:99 -g -w 2
-A -t [2001:db8::1]:443 -s sh -p 100 -M 64 -b sh-port
-a -t [2001:db8::1]:443 -r 10.0.1.7:443 -i -w 1 --tun-type ipip
-a -t [2001:db8::1]:443 -r [2001:db8:1::1]:8443 -m -w 1
-A -f 12 -s dh -p 360
`);
});

test('list: ipvsadm -Ln, --stats and --rate', () => {
  const info = { version: 0x010201, connTabSize: 4096 };
  assert.equal(formatList(TABLE, info), `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  255.255.255.254:8 sed
TCP  10.0.0.2:80 wlc (flag-1,flag-2,flag-3)
  -> 10.0.1.2:80                  Tunnel  1      0          0         
  -> 10.0.1.3:80                  Tunnel  1      0          0         
  -> 10.0.1.4:80                  Tunnel  1      0          0         
  -> 10.0.1.5:80                  Tunnel  1      0          0         
UDP  10.0.0.1:0 lblcr persistent 10
UDP  10.0.0.1:53 mh (mh-fallback,mh-port) persistent 60 mask 255.255.0.0 ops
  -> 10.0.1.1:53                  Masq    0      0          0         
SCTP 10.0.0.3:99 rr
  -> 10.0.1.9:99                  Route   2      0          0         
TCP  [2001:db8::1]:443 sh (sh-port) persistent 100 mask 64
  -> 10.0.1.7:443                 Tunnel  1      0          0         
  -> [2001:db8:1::1]:8443         Masq    1      0          0         
FWM  12 dh persistent 360
`);
  const stats = formatList({ services: [TABLE.services[2]!] }, info, 'stats');
  assert.equal(stats, `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
SCTP 10.0.0.3:99                         0        0        0        0        0
  -> 10.0.1.9:99                         0        0        0        0        0
`);
  const rate = formatList({ services: [TABLE.services[2]!] }, info, 'rate');
  assert.match(rate, /^Prot LocalAddress:Port {17}CPS {4}InPPS {3}OutPPS {4}InBPS {3}OutBPS$/m);
});

test('names (no -n): ports from /etc/services for TCP and UDP, hosts from /etc/hosts', () => {
  const services = parseServices('http\t\t80/tcp\t\twww # WorldWideWeb\ndomain 53/udp\nhttp 80/udp\n');
  const hosts = parseHosts('127.0.0.1 localhost\n10.0.1.9 backend9 b9\n# 10.0.1.1 nope\n');
  const out = formatList({ services: [TABLE.services[5]!, TABLE.services[2]!] }, { version: 0x010201, connTabSize: 4096 }, 'plain', {
    numeric: false, portName: (p, proto) => services.get(`${p}/${proto}`), hostName: (a) => hosts.get(a),
  });
  assert.match(out, /^TCP  10\.0\.0\.2:http wlc/m);
  assert.match(out, /^ {2}-> 10\.0\.1\.2:http {16}Tunnel/m);
  // SCTP ports are not looked up; hosts are.
  assert.match(out, /^ {2}-> backend9:99 {18}Route/m);
});

test('long IPv4 names are cut as ipvsadm cuts them; IPv6 ones are not', () => {
  const t: KernelTable = { services: [S({ kind: 'addr', family: 'inet', protocol: 'TCP', address: '255.255.255.255', port: 65535 }, 'rr', [D('255.255.255.255', 65535, 'NAT', 1)])] };
  const names = new Map([['255.255.255.255', 'a-very-long-host-name.example.org']]);
  const out = formatList(t, { version: 0x010201, connTabSize: 4096 }, 'plain', { numeric: false, hostName: (a) => names.get(a) });
  assert.match(out, /^TCP  a-very-long-host-name\.exampl rr$/m);
  assert.match(out, /^ {2}-> a-very-long-host-name\.exampl Masq/m);
});

test('large numbers scale as ipvsadm does unless exact', () => {
  assert.equal(largeNum(99999999n), ' 99999999');
  assert.equal(largeNum(100000000n), '  100000K');
  assert.equal(largeNum(123456789012n), '     123G');
  assert.equal(largeNum(1000000000n), '    1000M');
  assert.equal(largeNum(100000000000000n), '     100T');
  assert.equal(largeNum(123456789012n, true), ' 123456789012');
  assert.equal(largeNum(5n, true), '        5');
});

test('glibcSort is stable and splits like glibc\'s merge sort', () => {
  const items = [3, 1, 2, 1, 3].map((v, i) => ({ v, i }));
  assert.deepEqual(glibcSort(items, (a, b) => a.v - b.v).map((x) => x.i), [1, 3, 2, 0, 4]);
});

test('keel ipvs: usage errors and kernel errors are one line, no stack trace', async () => {
  let out = '';
  let err = '';
  const o = { write: (s: string) => { out += s; return true; } };
  const e = { write: (s: string) => { err += s; return true; } };
  assert.equal(await runIpvsCommand(['lst'], o, e, async () => new MemoryIpvs()), 1);
  assert.match(err, /^keel ipvs: unknown command 'lst'\n/);
  err = '';
  assert.equal(await runIpvsCommand(['list', '--bogus'], o, e, async () => new MemoryIpvs()), 1);
  assert.match(err, /^keel ipvs list: Unknown option '--bogus'/);
  err = '';
  assert.equal(await runIpvsCommand(['save'], o, e, async () => { throw new Error('IPVS is not available: the kernel has no generic netlink family IPVS'); }), 1);
  assert.equal(err, 'keel ipvs save: IPVS is not available: the kernel has no generic netlink family IPVS\n');
  const m = new MemoryIpvs();
  await m.addService({ key: { kind: 'fwmark', family: 'inet', fwmark: 3 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255' });
  assert.equal(await runIpvsCommand(['save'], o, e, async () => m), 0);
  assert.equal(out, '-A -f 3 -s rr\n');
  out = '';
  assert.equal(await runIpvsCommand(['list', '-n', '--stats'], o, e, async () => m), 0);
  assert.match(out, /^FWM  3 {35}0 {8}0 {8}0/m);
});
