// The optional HTTP endpoint: /metrics in Prometheus text and /status as JSON, on loopback only
// unless an address is named (a host next door cannot reach it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsUnavailable } from '../helpers/env.js';
import { globalDefs, instance, labFixture, waitFor } from '../helpers/vrrp-lab.js';

const skip = netnsUnavailable();
const fx = labFixture();

const GET = (url: string): string =>
  `fetch(${JSON.stringify(url)}).then(async (r) => console.log(r.status + '\\n' + await r.text()), (e) => console.log('ERR ' + (e.cause?.code ?? e.message)))`;

test('--http 9464: /metrics and /status from loopback; nothing from the LAN', { skip, timeout: 60_000 }, async () => {
  const lab = fx.lab('ht');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const b = lab.addHost('b', ['10.77.0.2/24']);
  const n = fx.router('keel', a, globalDefs('a') + instance({ priority: 150 }), ['--http', '9464']);
  await waitFor('master', () => n.state() === 'MASTER', 10_000, [n]);
  const m = a.exec(process.execPath, ['-e', GET('http://127.0.0.1:9464/metrics')]).stdout;
  assert.match(m, /^200\n/);
  assert.match(m, /keel_vrrp_state\{instance="VI_1"\} 2/);
  assert.match(m, /keel_vrrp_effective_priority\{instance="VI_1"\} 150/);
  assert.match(m, /keel_vrrp_transitions_total\{instance="VI_1",to="MASTER"\} 1/);
  assert.match(m, /keel_vrrp_adverts_sent\{instance="VI_1"\} [1-9]/);
  const s = a.exec(process.execPath, ['-e', GET('http://127.0.0.1:9464/status')]).stdout;
  assert.match(s, /^200\n/);
  const st = JSON.parse(s.slice(4)) as { instances: { name: string; state: string }[] };
  assert.deepEqual(st.instances.map((i) => [i.name, i.state]), [['VI_1', 'MASTER']]);
  const far = b.exec(process.execPath, ['-e', GET('http://10.77.0.1:9464/metrics')]).stdout;
  assert.match(far, /^ERR ECONNREFUSED/, far);
});
