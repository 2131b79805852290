// Inside the test VM: the checker-driven path end to end. keel's checker engine runs real
// TCP_CHECKs against real TCP servers in the guest; each table it publishes is reconciled into
// the real ip_vs. A server whose check fails leaves the pool (or goes to weight 0 with
// inhibit_on_failure) and comes back, each with exactly one netlink change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { loadConfigText } from '../../src/config/build.js';
import { CheckerEngine } from '../../src/check/engine.js';
import type { NetlinkIpvs } from '../../src/ipvs/client.js';
import { reconcile } from '../../src/ipvs/reconcile.js';
import type { IpvsTable } from '../../src/ipvs/table.js';
import { guestIpvs, ipvsadm, resetIpvs } from './guest.js';

let c!: NetlinkIpvs;
const skip = guestIpvs((x) => { c = x; });

function listen(port = 0): Promise<Server> {
  return new Promise((res, rej) => {
    const s = createServer((sock) => sock.destroy());
    s.once('error', rej);
    s.listen(port, '127.0.0.1', () => res(s));
  });
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;
const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

async function until(cond: () => boolean, what: string, ms = 20000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}; table:\n${ipvsadm('-Sn')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a failing check removes its server (or sets weight 0 with inhibit_on_failure) and recovery restores it, one change each', { skip }, async () => {
  resetIpvs();
  let a = await listen();
  let b = await listen();
  const pa = portOf(a);
  const pb = portOf(b);
  const cfg = loadConfigText(`virtual_server 10.0.0.20 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  delay_loop 1
  real_server 10.0.8.1 80 {
    inhibit_on_failure
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port ${pa}
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server 10.0.8.2 80 {
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port ${pb}
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`).config;
  const engine = new CheckerEngine({ effects: 'emit', bootstrapDelay: 0 });
  // Reconcile every published table, one at a time.
  let chain: Promise<unknown> = Promise.resolve();
  const errors: string[] = [];
  const apply = (t: IpvsTable): void => {
    chain = chain.then(async () => {
      const r = await reconcile(c, t);
      errors.push(...r.errors.map((e) => e.message));
    });
  };
  engine.on('table', apply);
  try {
    engine.start(cfg);
    apply(engine.table());
    const has = (re: RegExp): boolean => re.test(ipvsadm('-Sn'));
    await until(() => has(/-r 10\.0\.8\.1:80 -m -w 1\n/) && has(/-r 10\.0\.8\.2:80 -m -w 1\n/), 'both servers in the pool');
    await chain;

    let n = c.changes;
    await close(b);
    await until(() => !has(/10\.0\.8\.2/), '10.0.8.2 to leave the pool');
    await chain;
    assert.equal(c.changes - n, 1, 'one DEL_DEST');
    assert.match(ipvsadm('-Sn'), /-r 10\.0\.8\.1:80 -m -w 1\n/);

    n = c.changes;
    b = await listen(pb);
    await until(() => has(/-r 10\.0\.8\.2:80 -m -w 1\n/), '10.0.8.2 to come back');
    await chain;
    assert.equal(c.changes - n, 1, 'one NEW_DEST');

    n = c.changes;
    await close(a);
    await until(() => has(/-r 10\.0\.8\.1:80 -m -w 0\n/), '10.0.8.1 to be inhibited (weight 0)');
    await chain;
    assert.equal(c.changes - n, 1, 'one SET_DEST to weight 0');

    n = c.changes;
    a = await listen(pa);
    await until(() => has(/-r 10\.0\.8\.1:80 -m -w 1\n/), '10.0.8.1 back at weight 1');
    await chain;
    assert.equal(c.changes - n, 1, 'one SET_DEST back to weight 1');
    assert.deepEqual(errors, []);
  } finally {
    engine.stop();
    await chain;
    await close(a).catch(() => undefined);
    await close(b).catch(() => undefined);
  }
});
