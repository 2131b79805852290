// The engine in worker threads: events, the merged table, snapshots and stop, with real servers.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { loadConfigText } from '../../src/config/build.js';
import type { RsEvent } from '../../src/check/engine.js';
import { CheckerWorker } from '../../src/check/worker.js';
import type { IpvsTable } from '../../src/ipvs/table.js';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('checker worker', () => {
  for (const threads of [1, 2]) {
    it(`runs the checkers in ${threads} worker thread(s) and merges their tables in config order`, async () => {
      const srv = http.createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1');
      await new Promise((r) => srv.once('listening', r));
      const good = (srv.address() as net.AddressInfo).port;
      const bad = await closedPort();
      const vs = (n: number): string => `
virtual_server 10.254.0.${n} 80 {
  delay_loop 0.3
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 ${good} {
    TCP_CHECK {
      connect_timeout 0.5
    }
  }
  real_server 127.0.0.2 ${bad} {
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_timeout 0.5
    }
  }
}`;
      const cfg = loadConfigText([1, 2, 3].map(vs).join('\n')).config;
      const w = new CheckerWorker({ threads });
      const events: RsEvent[] = [];
      const tables: IpvsTable[] = [];
      w.on('rs', (e: RsEvent) => events.push(e));
      w.on('table', (t: IpvsTable) => tables.push(t));
      try {
        w.start(cfg);
        const end = Date.now() + 5000;
        while (events.filter((e) => !e.up).length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
        assert.equal(events.filter((e) => !e.up).length, 3, 'the refused server of each virtual server went down');
        await new Promise((r) => setTimeout(r, 100));
        const t = w.table();
        assert.deepEqual(t.services.map((s) => (s.key.kind === 'addr' ? s.key.address : '')), ['10.254.0.1', '10.254.0.2', '10.254.0.3']);
        for (const s of t.services) assert.deepEqual(s.dests.map((d) => `${d.address}:${d.port}`), [`127.0.0.1:${good}`]);
        // Every checker has run at least once (the good ones may still be on their first attempt
        // when the refused ones are already down, on a loaded machine).
        let snap = await w.snapshot();
        const until = Date.now() + 5000;
        while (snap.attempts < 6 && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 100));
          snap = await w.snapshot();
        }
        assert.equal(snap.virtualServers.length, 3);
        assert.ok(snap.attempts >= 6, `${snap.attempts} attempts`);
        assert.ok((await w.counters()).failures >= 3);
      } finally {
        await w.stop();
        srv.close();
      }
    });
  }
});
