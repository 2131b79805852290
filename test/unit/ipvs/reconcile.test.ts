// Planning and applying the difference between the desired table and the kernel's, against the
// in-memory IPVS (which refuses duplicates and missing entries as the kernel does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryIpvs } from '../../../src/ipvs/memory.js';
import { applyPlan, describeOp, planReconcile, reconcile, setSyncDaemonState, startIpvs, stopIpvs, stopSyncDaemons } from '../../../src/ipvs/reconcile.js';
import { desiredTable } from '../../../src/ipvs/from-config.js';
import { loadConfigText } from '../../../src/config/build.js';
import type { IpvsDest, IpvsTable, ServiceKey } from '../../../src/ipvs/table.js';

const key = (address: string, port = 80): ServiceKey => ({ kind: 'addr', family: 'inet', protocol: 'TCP', address, port });
const d = (address: string, weight = 1, more: Partial<IpvsDest> = {}): IpvsDest => ({ family: 'inet', address, port: 80, method: 'NAT', weight, uthreshold: 0, lthreshold: 0, ...more });
const svc = (address: string, dests: IpvsDest[], scheduler = 'rr') => ({ key: key(address), scheduler, flags: 0, timeout: 0, netmask: '255.255.255.255', dests });

const BASE: IpvsTable = { services: [svc('10.0.0.1', [d('10.0.1.1'), d('10.0.1.2')]), svc('10.0.0.2', [d('10.0.1.3')])] };

test('from empty: services first, then their destinations', async () => {
  const m = new MemoryIpvs();
  const r = await reconcile(m, BASE);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.plan.map((o) => o.op), ['addService', 'addService', 'addDest', 'addDest', 'addDest']);
  assert.equal(m.changes, 5);
  assert.deepEqual(planReconcile(BASE, await m.dump()), []);
});

test('an unchanged table sends nothing; a weight change is one edit', async () => {
  const m = new MemoryIpvs();
  await reconcile(m, BASE);
  const before = m.changes;
  assert.deepEqual((await reconcile(m, BASE)).plan, []);
  const t = structuredClone(BASE);
  t.services[0]!.dests[1]!.weight = 0;
  const r = await reconcile(m, t);
  assert.deepEqual(r.plan.map(describeOp), ['set 10.0.1.2:80 weight 0 in TCP 10.0.0.1:80']);
  assert.equal(m.changes - before, 1);
});

test('replacing a server adds the new one before deleting the old one', async () => {
  const m = new MemoryIpvs();
  await reconcile(m, BASE);
  const t = structuredClone(BASE);
  t.services[0]!.dests = [d('10.0.1.9')];
  m.log.length = 0;
  await reconcile(m, t);
  assert.deepEqual(m.log, ['addDest TCP|inet|10.0.0.1|80 10.0.1.9:80 w1', 'delDest TCP|inet|10.0.0.1|80 10.0.1.1:80', 'delDest TCP|inet|10.0.0.1|80 10.0.1.2:80']);
});

test('after a common prefix, reordered, edited, added and removed destinations are each one command', () => {
  const have: IpvsTable = { services: [svc('10.0.0.1', ['1', '2', '3', '4', '5'].map((x) => d(`10.0.1.${x}`)))] };
  // Same first two (one edited), then 5 before 4 with 4 edited, 3 removed, 6 added.
  const want: IpvsTable = { services: [svc('10.0.0.1', [d('10.0.1.1'), d('10.0.1.2', 3), d('10.0.1.5'), d('10.0.1.4', 2), d('10.0.1.6')])] };
  assert.deepEqual(planReconcile(want, have).map(describeOp), [
    'set 10.0.1.2:80 weight 3 in TCP 10.0.0.1:80',
    'set 10.0.1.4:80 weight 2 in TCP 10.0.0.1:80',
    'add 10.0.1.6:80 weight 1 to TCP 10.0.0.1:80',
    'delete 10.0.1.3:80 from TCP 10.0.0.1:80',
  ]);
  // Fewer on one side after an identical prefix.
  assert.deepEqual(planReconcile({ services: [svc('10.0.0.1', [d('10.0.1.1')])] }, have).map(describeOp),
    ['2', '3', '4', '5'].map((x) => `delete 10.0.1.${x}:80 from TCP 10.0.0.1:80`));
  assert.deepEqual(planReconcile(have, { services: [svc('10.0.0.1', [d('10.0.1.1')])] }).map(describeOp),
    ['2', '3', '4', '5'].map((x) => `add 10.0.1.${x}:80 weight 1 to TCP 10.0.0.1:80`));
});

test('method, thresholds and tunnel options are edits; a scheduler change is one service edit', () => {
  const actual = { services: BASE.services.map((s) => ({ ...s, dests: s.dests.map((x) => ({ ...x, activeConns: 0, inactConns: 0, persistConns: 0 })) })) };
  const t = structuredClone(BASE);
  t.services[0]!.scheduler = 'wlc';
  t.services[0]!.dests[0] = d('10.0.1.1', 1, { method: 'TUN', tunnelType: 'gue', tunnelPort: 1, tunnelCsum: 'csum' });
  t.services[1]!.dests[0]!.uthreshold = 5;
  assert.deepEqual(planReconcile(t, actual).map((o) => o.op), ['editService', 'editDest', 'editDest']);
});

test('services keel does not own are never touched; owned ones that left are deleted last', async () => {
  const m = new MemoryIpvs();
  await m.addService({ key: key('10.9.9.9'), scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255' });
  await reconcile(m, BASE);
  const smaller: IpvsTable = { services: [svc('10.0.0.1', [d('10.0.1.1')]), svc('10.0.0.3', [d('10.0.1.4')])] };
  const r = await reconcile(m, smaller, BASE.services.map((s) => s.key));
  assert.deepEqual(r.plan.map((o) => o.op), ['addService', 'addDest', 'delDest', 'delService']);
  const left = (await m.dump()).services.map((s) => (s.key.kind === 'addr' ? s.key.address : '')).sort();
  assert.deepEqual(left, ['10.0.0.1', '10.0.0.3', '10.9.9.9']);
});

test('the same kernel service from two config entries is programmed once with both destinations', () => {
  const t: IpvsTable = { services: [svc('10.0.0.1', [d('10.0.1.1')]), svc('10.0.0.1', [d('10.0.1.2')])] };
  assert.deepEqual(planReconcile(t, { services: [] }).map((o) => o.op), ['addService', 'addDest', 'addDest']);
});

test('an entry already there on add, or already gone on delete, counts as done; other refusals are reported', async () => {
  const m = new MemoryIpvs();
  await reconcile(m, BASE);
  const r = await applyPlan(m, [
    { op: 'addDest', key: key('10.0.0.1'), dest: d('10.0.1.1') },
    { op: 'delDest', key: key('10.0.0.1'), dest: d('10.0.1.77') },
    { op: 'addService', service: { key: key('10.0.0.5'), scheduler: 'nosuch', flags: 0, timeout: 0, netmask: '255.255.255.255' } },
  ]);
  assert.equal(r.applied, 2);
  assert.deepEqual(r.errors.map((e) => e.message), ['IPVS: cannot add service TCP 10.0.0.5:80: No such file or directory (ENOENT)']);
});

const CONF = `global_defs {
  lvs_flush
  lvs_timeouts tcp 7200 udp 60
  lvs_sync_daemon eth0 id 5 maxlen 1400 port 8848 ttl 2 group 224.0.0.81
}
virtual_server 10.0.0.1 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 10.0.1.1 80 {
  }
}
`;

test('start-up: lvs_flush, then lvs_timeouts, then the table; a reload does not flush', async () => {
  const cfg = loadConfigText(CONF).config;
  const m = new MemoryIpvs();
  await m.addService({ key: key('10.9.9.9'), scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255' });
  const r = await startIpvs(m, cfg, desiredTable(cfg));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(m.log.slice(1), ['flush', 'setTimeouts', 'addService TCP|inet|10.0.0.1|80', 'addDest TCP|inet|10.0.0.1|80 10.0.1.1:80 w1']);
  assert.deepEqual(await m.getTimeouts(), { tcp: 7200, tcpfin: 120, udp: 60 });
  m.log.length = 0;
  await startIpvs(m, cfg, desiredTable(cfg), { reload: true });
  assert.deepEqual(m.log, ['setTimeouts']);
});

test('stop: none deletes destinations then services; VS services only; full flushes', async () => {
  for (const [line, expect] of [['', ['delDest', 'delService']], ['lvs_flush_on_stop VS', ['delService']], ['lvs_flush_on_stop', ['flush']]] as const) {
    const cfg = loadConfigText(CONF.replace('  lvs_flush\n', line ? `  ${line}\n` : '')).config;
    const m = new MemoryIpvs();
    await reconcile(m, desiredTable(cfg));
    m.log.length = 0;
    const r = await stopIpvs(m, cfg, desiredTable(cfg));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(m.log.map((l) => l.split(' ')[0]), expect, line || 'none');
    assert.deepEqual((await m.dump()).services, []);
  }
});

test('the sync daemon follows the VRRP state with the config\'s options', async () => {
  const cfg = loadConfigText(CONF).config;
  const m = new MemoryIpvs();
  assert.deepEqual(await setSyncDaemonState(m, cfg, 'backup'), []);
  assert.deepEqual(await m.listDaemons(), [{ state: 'backup', interface: 'eth0', syncId: 5, maxlen: 1400, port: 8848, ttl: 2, group: '224.0.0.81' }]);
  assert.deepEqual(await setSyncDaemonState(m, cfg, 'master'), []);
  assert.deepEqual(m.log, ['startDaemon backup', 'stopDaemon backup', 'startDaemon master']);
  // Already running as asked: nothing sent.
  await setSyncDaemonState(m, cfg, 'master');
  assert.equal(m.log.length, 3);
  assert.deepEqual(await stopSyncDaemons(m), []);
  assert.deepEqual(await m.listDaemons(), []);
  // No lvs_sync_daemon: nothing to do.
  assert.deepEqual(await setSyncDaemonState(m, loadConfigText('').config, 'master'), []);
  assert.equal(m.log.length, 4);
});

test('a reload can plan against the table keel last programmed, without reading the kernel', async () => {
  const m = new MemoryIpvs();
  await reconcile(m, BASE);
  const next = structuredClone(BASE);
  next.services[1]!.dests[0]!.weight = 4;
  const plan = planReconcile(next, BASE);
  assert.deepEqual(plan.map(describeOp), ['set 10.0.1.3:80 weight 4 in TCP 10.0.0.2:80']);
  const before = m.changes;
  await applyPlan(m, plan);
  assert.equal(m.changes - before, 1);
  assert.deepEqual(planReconcile(next, await m.dump()), []);
});
