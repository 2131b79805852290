// The notification contract, differentially: the same scenario — start as backup, the peer
// killed, a tracked script failing and recovering, a sync-group member's interface going down
// and up, stop — run once with keepalived 2.2.7 and once with keel in the same role (the peer is
// keepalived both times). Each step waits until the router has settled, then compares what the
// notify scripts received (TYPE NAME STATE PRIORITY and the per-state scripts; as a set per step,
// since keepalived starts them without waiting for one another) and the vrrp_notify_fifo lines
// (in order: one writer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { keepalivedUnavailable, netnsUnavailable } from '../helpers/env.js';
import { labFixture, tempDir, waitFor, type Implementation, type Router } from '../helpers/vrrp-lab.js';

const skip = netnsUnavailable() ?? keepalivedUnavailable();
const fx = labFixture();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function routerConf(dir: string, id: string, prio: number, withScripts: boolean): string {
  const rec = join(dir, 'rec.sh');
  const notify = (what: string): string => (withScripts ? `  notify "${rec}"\n  notify_master "${rec} ${what} master"\n  notify_backup "${rec} ${what} backup"\n  notify_fault "${rec} ${what} fault"\n  notify_stop "${rec} ${what} stop"\n` : '');
  const inst = (name: string, ifname: string, vrid: number, vip: string, extra = ''): string => `vrrp_instance ${name} {
  state BACKUP
  interface ${ifname}
  virtual_router_id ${vrid}
  priority ${prio}
  advert_int 1
${extra}${notify(name)}  virtual_ipaddress {
    ${vip}
  }
}
`;
  return `global_defs {
  router_id ${id}
  script_user root
  enable_script_security
${withScripts ? `  vrrp_notify_fifo ${join(dir, 'fifo')}\n` : ''}}
${withScripts ? `vrrp_script chk {
  script "/usr/bin/test -e ${join(dir, 'flag')}"
  interval 1
  fall 1
  rise 1
}
` : ''}vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
${withScripts ? `  notify "${rec}"\n  notify_master "${rec} G master"\n  notify_backup "${rec} G backup"\n  notify_fault "${rec} G fault"\n  notify_stop "${rec} G stop"\n` : ''}}
${inst('VI_1', 'eth0', 61, '10.79.0.100/24', withScripts ? '  track_script {\n    chk\n  }\n' : '')}${inst('VI_2', 'eth1', 62, '10.79.1.100/24')}`;
}

interface Outcome {
  steps: string[][];
  fifo: string[];
}

async function scenario(impl: Implementation): Promise<Outcome> {
  const lab = fx.lab(`nd${impl[2]}`);
  const a = lab.addHost('a', ['10.79.0.1/24'], 2);
  const b = lab.addHost('b', ['10.79.0.2/24'], 2);
  a.ip('addr', 'add', '10.79.1.1/24', 'dev', 'eth1');
  b.ip('addr', 'add', '10.79.1.2/24', 'dev', 'eth1');
  const dir = tempDir(`nd-${impl}`);
  chmodSync(dir, 0o755);
  const out = join(dir, 'calls');
  writeFileSync(join(dir, 'rec.sh'), `#!/bin/sh\necho "$*" >> ${out}\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'flag'), '');
  spawnSync('mkfifo', [join(dir, 'fifo')]);
  // The FIFO reader: cat keeps it open for the whole run.
  const reader = a.spawn('sh', ['-c', `exec cat ${join(dir, 'fifo')} > ${join(dir, 'fifo.log')}`]);

  const peer = fx.router('keepalived', b, routerConf(tempDir('nd-peer'), 'peer', 150, false));
  await waitFor('peer master', () => peer.state('VI_1') === 'MASTER' && peer.state('VI_2') === 'MASTER', 15_000, [peer]);
  const r = fx.router(impl, a, routerConf(dir, 'dut', 100, true));
  const steps: string[][] = [];
  let seen = 0;
  const settle = async (): Promise<void> => {
    await sleep(2_500);
    const all = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : [];
    steps.push(all.slice(seen).sort());
    seen = all.length;
  };
  const both = (st: string): (() => boolean) => () => r.state('VI_1') === st && r.state('VI_2') === st;
  const rs: Router[] = [r, peer];

  await waitFor('start: backup', both('BACKUP'), 15_000, rs);
  await settle();
  peer.crash();
  await waitFor('peer killed: master', both('MASTER'), 10_000, rs);
  await settle();
  rmSync(join(dir, 'flag'));
  await waitFor('tracker failed: fault', both('FAULT'), 10_000, rs);
  await settle();
  writeFileSync(join(dir, 'flag'), '');
  await waitFor('tracker recovered: master', both('MASTER'), 15_000, rs);
  await settle();
  a.ip('link', 'set', 'eth1', 'down');
  await waitFor('member interface down: fault', both('FAULT'), 10_000, rs);
  await settle();
  a.ip('link', 'set', 'eth1', 'up');
  await waitFor('member interface up: master', both('MASTER'), 15_000, rs);
  await settle();
  r.kill('SIGTERM');
  await r.exited();
  await settle();
  reader.kill('SIGTERM');
  const fifo = existsSync(join(dir, 'fifo.log')) ? readFileSync(join(dir, 'fifo.log'), 'utf8').trim().split('\n').filter(Boolean) : [];
  lab.destroy();
  return { steps, fifo };
}

function blocks(lines: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const l of lines) {
    cur.push(l);
    if (l.startsWith('GROUP ')) {
      out.push(cur.sort());
      cur = [];
    }
  }
  if (cur.length) out.push(cur.sort());
  return out;
}

test('notify scripts and the notify FIFO: keel calls what keepalived calls, step by step', { skip, timeout: 240_000 }, async () => {
  const ka = await scenario('keepalived');
  const kl = await scenario('keel');
  const names = ['start', 'peer killed', 'tracker failed', 'tracker recovered', 'member interface down', 'member interface up', 'stop'];
  assert.ok(ka.steps.flat().length > 10, `keepalived made calls:\n${JSON.stringify(ka.steps, null, 1)}`);
  for (let i = 0; i < names.length; i++) {
    assert.deepEqual(kl.steps[i], ka.steps[i], `${names[i]}: keel's notify calls differ from keepalived's`);
  }
  // Within one group transition the members' order follows whose timer fired first (microseconds
  // apart: the peer sends both adverts in one go), which differs from run to run in keepalived
  // too; each block up to its GROUP line is compared as a set, the blocks in order.
  assert.deepEqual(blocks(kl.fifo), blocks(ka.fifo), `notify FIFO lines:\nkeel:\n${kl.fifo.join('\n')}\nkeepalived:\n${ka.fifo.join('\n')}`);
});
