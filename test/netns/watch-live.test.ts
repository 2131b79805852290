// `keel watch IFACE` live on a LAN of namespaces: a keel master and a keepalived backup advertise,
// a third host watches with --json for a few seconds and reports both routers and the master.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { KEEL, keepalivedUnavailable, netnsUnavailable } from '../helpers/env.js';
import { globalDefs, instance, labFixture, waitFor } from '../helpers/vrrp-lab.js';

const skip = netnsUnavailable() ?? keepalivedUnavailable();
const fx = labFixture();

test('keel watch eth0 --json sees keel and keepalived advertising and names the master', { skip, timeout: 60_000 }, async () => {
  const lab = fx.lab('wl');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const b = lab.addHost('b', ['10.77.0.2/24']);
  const c = lab.addHost('c', ['10.77.0.3/24']);
  const n = fx.router('keel', a, globalDefs('a') + instance({ priority: 150 }));
  const k = fx.router('keepalived', b, globalDefs('b') + instance({ priority: 100 }));
  await waitFor('election', () => n.state() === 'MASTER' && k.state() === 'BACKUP', 15_000, [n, k]);
  const w = spawn('ip', ['netns', 'exec', c.ns, process.execPath, KEEL, 'watch', 'eth0', '--json', '--seconds', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  w.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  w.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((r) => w.on('exit', r));
  assert.equal(code, 0, err);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const adverts = lines.filter((l) => !('summary' in l));
  assert.ok(adverts.length >= 2, out);
  assert.ok(adverts.every((x) => x.src === '10.77.0.1' && x.priority === 150), 'only the master advertises');
  const summary = lines.at(-1)!.summary as { vrids: { vrid: number; master: string; conflicts: unknown[] }[] };
  assert.equal(summary.vrids[0]!.vrid, 51);
  assert.equal(summary.vrids[0]!.master, '10.77.0.1');
  assert.deepEqual(summary.vrids[0]!.conflicts, []);
});
