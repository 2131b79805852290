// The desired IPVS table from a config, as keepalived 2.2.7 programs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/build.js';
import { desiredTable, destOf, expandRange, realWeight, serviceKeysOf, serviceOf, sorryDestOf } from '../../../src/ipvs/from-config.js';
import { serviceKeyText } from '../../../src/ipvs/table.js';

function load(text: string) {
  return loadConfigText(text).config;
}

test('an address service: key, scheduler, flags, NAT destinations with their own ports', () => {
  const c = load(`virtual_server 10.0.0.1 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 10.0.1.1 8080 {
    weight 3
    uthreshold 100
    lthreshold 10
  }
  real_server 10.0.1.2 8081 {
  }
}`);
  const t = desiredTable(c);
  assert.equal(t.services.length, 1);
  const s = t.services[0]!;
  assert.deepEqual(s.key, { kind: 'addr', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 });
  assert.equal(s.scheduler, 'rr');
  assert.equal(s.flags, 0);
  assert.equal(s.timeout, 0);
  assert.equal(s.netmask, '255.255.255.255');
  assert.equal(s.pe, undefined);
  assert.deepEqual(s.dests, [
    { family: 'inet', address: '10.0.1.1', port: 8080, method: 'NAT', weight: 3, uthreshold: 100, lthreshold: 10 },
    { family: 'inet', address: '10.0.1.2', port: 8081, method: 'NAT', weight: 1, uthreshold: 0, lthreshold: 0 },
  ]);
});

test('DR and TUN destinations take the service port; fwmark services give them port 0', () => {
  const c = load(`virtual_server 10.0.0.1 80 {
  lvs_sched wlc
  lvs_method DR
  protocol TCP
  real_server 10.0.1.1 80 {
  }
  real_server 10.0.1.2 {
    lvs_method TUN type gue port 6080 csum
  }
  real_server 10.0.1.3 {
    lvs_method TUN type gre csum
  }
  real_server 10.0.1.4 {
    lvs_method TUN
  }
}
virtual_server fwmark 7 {
  lvs_sched sh
  sh-port
  sh-fallback
  lvs_method DR
  real_server 10.0.2.1 80 {
  }
}`);
  const [a, f] = desiredTable(c).services;
  assert.deepEqual(a!.dests.map((d) => [d.port, d.method, d.tunnelType, d.tunnelPort, d.tunnelCsum]), [
    [80, 'DR', undefined, undefined, undefined],
    [80, 'TUN', 'gue', 6080, 'csum'],
    [80, 'TUN', 'gre', undefined, 'csum'],
    [80, 'TUN', 'ipip', undefined, undefined],
  ]);
  assert.deepEqual(f!.key, { kind: 'fwmark', family: 'inet', fwmark: 7 });
  assert.equal(f!.flags, 0x8 | 0x10);
  assert.equal(f!.dests[0]!.port, 0);
});

test('scheduler flags: ops, flag-N, mh flags', () => {
  const c = load(`virtual_server 10.0.0.1 53 {
  lvs_sched mh
  mh-port
  ops
  flag-3
  lvs_method NAT
  protocol UDP
  real_server 10.0.1.1 53 {
  }
}`);
  const s = desiredTable(c).services[0]!;
  assert.equal(s.flags, 0x4 | 0x10 | 0x20);
});

test('persistence: timeout, granularity, engine; default 360 with granularity alone', () => {
  const c = load(`virtual_server 10.0.0.1 5060 {
  lvs_sched rr
  lvs_method NAT
  protocol UDP
  persistence_timeout 600
  persistence_granularity 255.255.255.0
  persistence_engine sip
  real_server 10.0.1.1 5060 {
  }
}
virtual_server 2001:db8::1 443 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  persistence_granularity 64
  real_server 2001:db8:1::1 443 {
  }
}`);
  const [a, b] = desiredTable(c).services;
  assert.equal(a!.flags, 0x1);
  assert.equal(a!.timeout, 600);
  assert.equal(a!.netmask, '255.255.255.0');
  assert.equal(a!.pe, 'sip');
  assert.deepEqual(b!.key, { kind: 'addr', family: 'inet6', protocol: 'TCP', address: '2001:db8::1', port: 443 });
  assert.equal(b!.timeout, 360);
  assert.equal(b!.netmask, '64');
  assert.equal(b!.dests[0]!.family, 'inet6');
});

test('virtual_server_group: ranges step the last part only, then fwmarks; granularity ignored', () => {
  const c = load(`virtual_server_group G {
  10.0.0.1-3 80
  10.0.0.254-10.0.0.255 80
  fwmark 9
}
virtual_server_group H {
  2001:db8::fe-100 80
}
virtual_server group G {
  lvs_sched rr
  lvs_method DR
  protocol TCP
  persistence_timeout 30
  persistence_granularity 255.255.0.0
  real_server 10.0.1.1 80 {
  }
  real_server 10.0.1.2 8080 {
    lvs_method NAT
  }
}
virtual_server group H {
  lvs_sched rr
  lvs_method DR
  protocol UDP
  real_server 2001:db8:1::1 80 {
  }
}`);
  const vs = c.virtual_servers[0]!;
  const keys = serviceKeysOf(c, vs);
  assert.deepEqual(keys.map(serviceKeyText), [
    'TCP 10.0.0.1:80', 'TCP 10.0.0.2:80', 'TCP 10.0.0.3:80', 'TCP 10.0.0.254:80', 'TCP 10.0.0.255:80', 'FWM 9',
  ]);
  assert.deepEqual(serviceKeysOf(c, c.virtual_servers[1]!).map(serviceKeyText), ['UDP [2001:db8::fe]:80', 'UDP [2001:db8::ff]:80', 'UDP [2001:db8::100]:80']);
  const fw = serviceOf(vs, keys[5]!);
  assert.deepEqual(fw.key, { kind: 'fwmark', family: 'inet', fwmark: 9 });
  assert.equal(fw.netmask, '255.255.255.255');
  assert.equal(fw.timeout, 30);
  assert.equal(fw.flags, 1);
  assert.equal(destOf(vs, vs.real_servers[0]!, 1, keys[5]).port, 0);
  assert.equal(destOf(vs, vs.real_servers[0]!, 1, keys[0]).port, 80);
  assert.equal(destOf(vs, vs.real_servers[1]!, 1, keys[5]).port, 8080);
  assert.equal(desiredTable(c).services.length, 9);
});

test('expandRange: a single address, and a range that crosses an octet stops after one cycle', () => {
  assert.deepEqual(expandRange({ ip: '10.0.0.5', port: 80 }), ['10.0.0.5']);
  const wrap = expandRange({ ip: '10.0.0.250', ip_end: '10.0.1.5', port: 80 });
  assert.equal(wrap.length, 12);
  assert.equal(wrap[6], '10.0.0.0');
});

test('verdicts: a down server leaves, an inhibited one goes to weight 0, weights clamp', () => {
  const c = load(`virtual_server 10.0.0.1 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 10.0.1.1 80 {
  }
  real_server 10.0.1.2 80 {
    inhibit_on_failure
  }
  real_server 10.0.1.3 80 {
    weight 5
  }
}`);
  const t = desiredTable(c, (_vs, rs) => (rs.ip === '10.0.1.3' ? { weight: rs.weight + 2 } : undefined));
  assert.deepEqual(t.services[0]!.dests.map((d) => [d.address, d.weight]), [['10.0.1.2', 0], ['10.0.1.3', 7]]);
  assert.equal(realWeight(-4), 0);
  assert.equal(realWeight(2 ** 40), 2147483647);
});

test('sorry server: weight 0 when inhibited, alone with weight 1 when quorum is lost', () => {
  const c = load(`virtual_server 10.0.0.1 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  sorry_server 10.0.9.9 8080
  sorry_server_inhibit
  real_server 10.0.1.1 80 {
  }
  real_server 10.0.1.2 80 {
    inhibit_on_failure
  }
}`);
  const up = desiredTable(c).services[0]!;
  assert.deepEqual(up.dests.map((d) => [d.address, d.port, d.weight]), [['10.0.1.1', 80, 1], ['10.0.1.2', 80, 1], ['10.0.9.9', 8080, 0]]);
  const down = desiredTable(c, () => undefined).services[0]!;
  assert.deepEqual(down.dests.map((d) => [d.address, d.weight]), [['10.0.1.2', 0], ['10.0.9.9', 1]]);
  const vs = c.virtual_servers[0]!;
  assert.deepEqual(sorryDestOf(vs, 1), { family: 'inet', address: '10.0.9.9', port: 8080, method: 'NAT', weight: 1, uthreshold: 0, lthreshold: 0 });
});

test('a sorry server without inhibit is absent while quorum holds', () => {
  const c = load(`virtual_server 10.0.0.1 80 {
  lvs_sched rr
  lvs_method DR
  protocol TCP
  sorry_server 10.0.9.9 80
  real_server 10.0.1.1 80 {
  }
}`);
  assert.equal(desiredTable(c).services[0]!.dests.length, 1);
  assert.deepEqual(desiredTable(c, () => undefined).services[0]!.dests.map((d) => d.address), ['10.0.9.9']);
});
