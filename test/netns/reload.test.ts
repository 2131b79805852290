// SIGHUP in network namespaces, with `ip monitor address` watching the master's interface:
// a VIP added is the only address change; an invalid config changes nothing and keeps running;
// a removed instance releases its VIPs while a new one starts. (No peer: a peer whose VIP list
// differs drops the adverts, as keepalived does, so operators reload both sides.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { netnsUnavailable } from '../helpers/env.js';
import { globalDefs, hasAddress, instance, labFixture, waitFor, type Router } from '../helpers/vrrp-lab.js';

const skip = netnsUnavailable();
const fx = labFixture();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('SIGHUP applies only the difference and keeps running on a bad config', { skip, timeout: 90_000 }, async () => {
  const lab = fx.lab('rl');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const conf1 = globalDefs('a') + instance({ priority: 150, vips: ['10.77.0.100/24'] });
  const n = fx.router('keel', a, conf1);
  await waitFor('master', () => n.state() === 'MASTER' && hasAddress(a, '10.77.0.100'), 15_000, [n]);

  const mon = a.spawn('ip', ['monitor', 'address']);
  let changes = '';
  mon.stdout?.on('data', (d: Buffer) => { changes += d.toString(); });
  await sleep(300);
  const entering = (r: Router): number => r.lines.filter((l) => / Entering /.test(l.text)).length;
  const before = entering(n);

  // 1. A VIP added: one address change, nothing removed, no transition anywhere.
  writeFileSync(n.file, globalDefs('a') + instance({ priority: 150, vips: ['10.77.0.100/24', '10.77.0.101/24'] }));
  n.kill('SIGHUP');
  await waitFor('the new VIP', () => hasAddress(a, '10.77.0.101'), 5_000, [n]);
  await waitFor('reload logged', () => n.lines.some((l) => l.text.startsWith('Reload finished')), 5_000, [n]);
  await sleep(2_500);
  const lines = changes.split('\n').filter((l) => / inet6? /.test(l));
  assert.equal(lines.length, 1, `address changes:\n${changes}`);
  assert.match(lines[0]!, /inet 10\.77\.0\.101\/24/);
  assert.doesNotMatch(changes, /Deleted/);
  assert.equal(entering(n), before, 'no state change');

  // 2. A config with an error: logged, the running config stays, nothing changes.
  changes = '';
  writeFileSync(n.file, globalDefs('a') + instance({ priority: 150, vips: ['10.77.0.100/24'] }).replace('virtual_router_id 51', 'virtual_router_id 300'));
  n.kill('SIGHUP');
  await waitFor('reload refused', () => n.lines.some((l) => l.text.startsWith('Reload failed')), 5_000, [n]);
  await sleep(1_500);
  assert.equal(changes, '', `address changes:\n${changes}`);
  assert.ok(n.lines.some((l) => /keepalived\.conf:\d+: .*300/.test(l.text)), 'the error is logged with its line');
  assert.equal(n.state(), 'MASTER');
  assert.ok(hasAddress(a, '10.77.0.100') && hasAddress(a, '10.77.0.101'));

  // 3. VI_1 removed, VI_2 added: VI_1's VIPs go, VI_2 starts and claims its own.
  changes = '';
  writeFileSync(n.file, globalDefs('a') + instance({ name: 'VI_2', vrid: 52, priority: 150, vips: ['10.77.0.200/24'] }));
  n.kill('SIGHUP');
  await waitFor('VI_1 released', () => !hasAddress(a, '10.77.0.100') && !hasAddress(a, '10.77.0.101'), 5_000, [n]);
  await waitFor('VI_2 master', () => n.state('VI_2') === 'MASTER' && hasAddress(a, '10.77.0.200'), 10_000, [n]);
  mon.kill('SIGTERM');
  n.kill('SIGTERM');
  assert.equal(await n.exited(), 0);
});
