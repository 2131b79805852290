// The daemon with virtual servers and --ipvs-dry-run: checkers in their worker threads judge real
// HTTP servers, and `keel status --json` shows each real server's state and the computed table,
// while a VRRP instance in the same process keeps advertising.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { KEEL, netnsUnavailable } from '../helpers/env.js';
import { globalDefs, instance, labFixture, waitFor } from '../helpers/vrrp-lab.js';

const skip = netnsUnavailable();
const fx = labFixture();

interface Status {
  instances: { name: string; state: string }[];
  virtualServers?: { vs: string; realServers: { rs: string; alive: boolean; weight: number }[] }[];
  ipvs?: { dryRun: boolean; table: { services: { dests: { address: string; port: number; weight: number }[] }[] } };
}

test('--ipvs-dry-run: HTTP_GET checkers judge real servers; status shows them and the computed table', { skip, timeout: 60_000 }, async () => {
  const lab = fx.lab('ck');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const web = a.spawn(process.execPath, ['-e', "require('http').createServer((q,s)=>s.end('ok')).listen(18080,'127.0.0.1')"]);
  const conf = globalDefs('a') + instance({ priority: 150 }) + `
virtual_server 10.77.0.100 80 {
  delay_loop 1
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 18080 {
    weight 3
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server 127.0.0.1 18081 {
    HTTP_GET {
      url {
        path /
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`;
  const n = fx.router('keel', a, conf, ['--ipvs-dry-run']);
  const status = (): Status => {
    const r = spawnSync(process.execPath, [KEEL, 'status', '--json', '--control', n.control], { encoding: 'utf8' });
    return r.status === 0 ? JSON.parse(r.stdout) as Status : { instances: [] };
  };
  await waitFor('master and verdicts', () => {
    const s = status();
    const rs = s.virtualServers?.[0]?.realServers ?? [];
    return s.instances[0]?.state === 'MASTER' && rs.length === 2 && rs[0]!.alive && !rs[1]!.alive;
  }, 20_000, [n]);
  const s = status();
  assert.equal(s.ipvs?.dryRun, true);
  assert.deepEqual(s.ipvs?.table.services[0]?.dests.map((d) => [d.address, d.port, d.weight]), [['127.0.0.1', 18080, 3]]);
  assert.ok(n.lines.some((l) => /18081/.test(l.text) && /fail|Removing|down/i.test(l.text)), n.lines.map((l) => l.text).join('\n'));

  // The good server stops: it leaves the table.
  web.kill('SIGKILL');
  await waitFor('the first server removed', () => {
    const t = status().ipvs?.table.services[0];
    return !!t && t.dests.length === 0;
  }, 15_000, [n]);
  const plain = spawnSync(process.execPath, [KEEL, 'status', '--control', n.control], { encoding: 'utf8' }).stdout;
  assert.match(plain, /Virtual servers \(IPVS dry run/);
  n.kill('SIGTERM');
  assert.equal(await n.exited(), 0);
});
