// An interface deleted under a running master and created again with the same name and address
// (issue 4, item 2: "an interface deleted and recreated is picked up again"). Real keepalived
// 2.2.7 goes through the scenario first and what it does is the reference; keel must do the same:
// the state it enters when eth0 goes, the VIP released, and on the new eth0 (a new ifindex) its
// sockets reopened — adverts on the wire again, MASTER again, the VIP back.
// (Plain `ip link set eth0 down/up` with a keepalived peer is in vrrp-interop.test.ts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { keepalivedUnavailable, netnsUnavailable, which } from '../helpers/env.js';
import { Lab, type LabHost } from '../helpers/lab.js';
import { globalDefs, hasAddress, instance, removeTempDirs, startRouter, waitFor, type Implementation, type Router } from '../helpers/vrrp-lab.js';
import { spawnSync } from 'node:child_process';
import { Observer, wallNow } from '../helpers/bench-lab.js';

const skip = netnsUnavailable() ?? keepalivedUnavailable() ?? (which('tcpdump') ? undefined : 'needs tcpdump');
const VIP = '10.81.0.100';
const SRC = '10.81.0.1';
const labs: Lab[] = [];
const routers: Router[] = [];
const observers: Observer[] = [];

after(() => {
  for (const r of routers) r.kill('SIGKILL');
  for (const o of observers) o.stop();
  for (const l of labs) l.destroy();
  removeTempDirs();
});

function ipMust(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** A new veth named eth0 in the host, its peer a new port of the lab's bridge, address as before. */
function recreate(lab: Lab, host: LabHost, port: string): void {
  ipMust(['-n', host.ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', lab.bridgeNs]);
  ipMust(['-n', lab.bridgeNs, 'link', 'set', port, 'master', 'br0']);
  ipMust(['-n', lab.bridgeNs, 'link', 'set', port, 'up']);
  ipMust(['-n', host.ns, 'addr', 'add', `${SRC}/24`, 'dev', 'eth0']);
  ipMust(['-n', host.ns, 'link', 'set', 'eth0', 'up']);
}

interface Outcome {
  /** The state entered after eth0 was deleted (undefined: no transition logged). */
  onDelete: string | undefined;
  vipAfterDelete: boolean;
  /** After the new eth0 came up: the states entered, in order. */
  statesAfterRecreate: string[];
  masterAgain: boolean;
  advertsAgain: boolean;
  vipAgain: boolean;
  stillRunning: boolean;
}

async function scenario(impl: Implementation): Promise<{ outcome: Outcome; router: Router }> {
  const lab = new Lab('lr');
  labs.push(lab);
  const a = lab.addHost('a', [`${SRC}/24`]);
  const c = lab.addHost('c', ['10.81.0.3/24']);
  const obs = new Observer(c);
  observers.push(obs);
  await obs.ready();
  const r = startRouter(impl, a, globalDefs(`${impl}-lr`) + instance({ state: 'MASTER', priority: 150, vips: [`${VIP}/24`] }));
  routers.push(r);
  await waitFor('master', () => r.state() === 'MASTER' && hasAddress(a, VIP), 15_000, [r]);

  let t0 = performance.now();
  a.ip('link', 'del', 'eth0');
  // keepalived reacts to the netlink event at once; give either a few advert intervals to settle.
  await waitFor('a transition or 3 s', () => r.state() !== 'MASTER' || performance.now() - t0 > 3_000, 5_000, [r]);
  await new Promise((res) => setTimeout(res, 1_000));
  const entered = (since: number): string[] => r.lines.filter((l) => l.t >= since)
    .map((l) => /^\(VI_1\) Entering (\S+) STATE/.exec(l.text)?.[1]).filter((x): x is string => !!x);
  const onDelete = entered(t0).at(-1);
  const vipAfterDelete = hasAddress(a, VIP, 'eth0');

  t0 = performance.now();
  const w0 = wallNow();
  recreate(lab, a, 'pnew');
  let masterAgain = false;
  let advertsAgain = false;
  try {
    await waitFor('master again with adverts', () => r.enteredAt('MASTER', t0) !== undefined
      && obs.adverts.filter((x) => x.src === SRC && x.t > w0 && x.prio === 150).length >= 2, 15_000, [r]);
    masterAgain = true;
    advertsAgain = true;
  } catch {
    masterAgain = r.enteredAt('MASTER', t0) !== undefined || (onDelete === undefined && r.state() === 'MASTER');
    advertsAgain = obs.adverts.some((x) => x.src === SRC && x.t > w0 && x.prio === 150);
  }
  const vipAgain = await waitFor('VIP', () => hasAddress(a, VIP), 3_000).then(() => true, () => false);
  const stillRunning = r.proc.exitCode === null && r.proc.signalCode === null;
  return { outcome: { onDelete, vipAfterDelete, statesAfterRecreate: entered(t0), masterAgain, advertsAgain, vipAgain, stillRunning }, router: r };
}

test('eth0 deleted and recreated under a master: keel does what keepalived does, and picks the new eth0 up', { skip, timeout: 120_000 }, async (t) => {
  const ka = await scenario('keepalived');
  t.diagnostic(`keepalived: ${JSON.stringify(ka.outcome)}`);
  ka.router.kill('SIGTERM');
  await ka.router.exited();
  // The reference itself: keepalived 2.2.7 goes FAULT, drops the VIP, and comes back on the new link.
  assert.deepEqual({ ...ka.outcome, statesAfterRecreate: ka.outcome.statesAfterRecreate.at(-1) }, { onDelete: 'FAULT', vipAfterDelete: false, statesAfterRecreate: 'MASTER', masterAgain: true, advertsAgain: true, vipAgain: true, stillRunning: true });

  const keel = await scenario('keel');
  t.diagnostic(`keel: ${JSON.stringify(keel.outcome)}`);
  const logs = keel.router.lines.map((l) => l.text).join('\n');
  assert.deepEqual(keel.outcome, ka.outcome, `keel differs from keepalived; keel's log:\n${logs}`);
  keel.router.kill('SIGTERM');
  assert.equal(await keel.router.exited(), 0);
});
