// The engine on a virtual clock with scripted probe results: when verdicts happen (in terms of
// delay_loop, retry and delay_before_retry), and what the verdicts do to the desired IPVS table
// (removal, inhibit_on_failure, quorum with hysteresis, sorry server, alpha, omega, misc_dynamic).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfigText } from '../../../src/config/build.js';
import type { Config } from '../../../src/config/types.js';
import { renderDryRun } from '../../../src/check/dry-run.js';
import { CheckerEngine, type RsEvent } from '../../../src/check/engine.js';
import type { ProbeResult } from '../../../src/check/probe.js';
import type { MiscOutcome } from '../../../src/check/sequence.js';
import type { IpvsTable } from '../../../src/ipvs/table.js';
import { FakeClock } from './fake-clock.js';

function config(text: string): Config {
  const r = loadConfigText(text);
  return r.config;
}

/** Probe results by connect address, changeable during the test. */
class Script {
  up = new Map<string, boolean>();
  exit = new Map<string, number>();
  calls: { ip: string; at: number }[] = [];
  constructor(private readonly clock: FakeClock) {}
  result(ip: string): ProbeResult {
    this.calls.push({ ip, at: this.clock.now() });
    return this.up.get(ip) ?? true ? { ok: true, msg: 'ok' } : { ok: false, msg: 'refused' };
  }
}

function harness(text: string) {
  const clock = new FakeClock();
  const script = new Script(clock);
  const engine = new CheckerEngine({
    clock, random: () => 0, effects: 'emit', bootstrapDelay: 1,
    probes: {
      tcp: async (c) => script.result(c.connect_ip),
      http: async (c) => script.result(c.connect_ip),
      misc: async (c): Promise<MiscOutcome> => ({ kind: 'exit', code: script.exit.get(c.misc_path.command) ?? 0 }),
    },
  });
  const events: (RsEvent & { at: number })[] = [];
  const logs: string[] = [];
  const fifo: string[] = [];
  const scripts: string[][] = [];
  engine.on('rs', (e: RsEvent) => events.push({ ...e, at: clock.now() }));
  engine.on('log', (m: string) => logs.push(m));
  engine.on('fifo', (l: string) => fifo.push(l));
  engine.on('script', (e: { script: { argv: string[] } }) => scripts.push(e.script.argv));
  const cfg = config(text);
  return { clock, script, engine, events, logs, fifo, scripts, cfg };
}

function dests(t: IpvsTable): string[] {
  return t.services.flatMap((s) => s.dests.map((d) => `${d.address}:${d.port}/${d.weight}`));
}

const VS = (body: string, vsExtra = ''): string => `
virtual_server 10.0.0.1 80 {
  delay_loop 10
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  ${vsExtra}
  ${body}
}`;

const RS = (ip: string, extra = '', check = 'TCP_CHECK {\n connect_timeout 1\n retry 2\n delay_before_retry 3\n }'): string => `
  real_server ${ip} 80 {
    weight 1
    ${extra}
    ${check}
  }`;

describe('checker engine timing', () => {
  it('a server failing after it was up is removed after `retry` retries spaced by delay_before_retry', async () => {
    const h = harness(VS(RS('192.168.1.1') + RS('192.168.1.2')));
    h.engine.start(h.cfg);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1', '192.168.1.2:80/1']);
    await h.clock.advance(1000);
    assert.equal(h.script.calls.length, 2, 'first checks after the 1 s bootstrap delay');
    h.script.up.set('192.168.1.2', false);
    await h.clock.advance(30_000);
    // Checks at 1 s, 11 s; fails at 11 s, retries at 14 s and 17 s; removed at 17 s.
    const down = h.events.find((e) => e.rs === '[192.168.1.2]:tcp:80');
    assert.ok(down);
    assert.equal(down.up, false);
    assert.equal(down.at, 17_000);
    assert.ok(h.logs.includes('TCP_CHECK on service [192.168.1.2]:tcp:80 failed after 2 retries.'));
    assert.ok(h.logs.includes('Removing service [192.168.1.2]:tcp:80 from VS [10.0.0.1]:tcp:80'));
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1']);
    assert.ok(h.fifo.includes('RS [192.168.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n'));
    // It comes back: the next check (every delay_loop while down for TCP: retries cycle) adds it.
    h.script.up.set('192.168.1.2', true);
    await h.clock.advance(20_000);
    const up = h.events.filter((e) => e.rs === '[192.168.1.2]:tcp:80' && e.up);
    assert.equal(up.length, 1);
    assert.ok(h.logs.includes('TCP connection to [192.168.1.2]:tcp:80 success.'));
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1', '192.168.1.2:80/1']);
    h.engine.stop();
  });

  it('a server down from the start is removed at its first check, without retries', async () => {
    const h = harness(VS(RS('192.168.1.1') + RS('192.168.1.2')));
    h.script.up.set('192.168.1.1', false);
    h.engine.start(h.cfg);
    await h.clock.advance(1000);
    assert.equal(h.events[0]?.at, 1000);
    assert.ok(h.logs.includes('TCP_CHECK on service [192.168.1.1]:tcp:80 failed.'));
    h.engine.stop();
  });

  it('warmup delays the first check by up to `warmup` seconds', async () => {
    const h = harness(VS(RS('192.168.1.1', '', 'TCP_CHECK {\n warmup 8\n }')));
    const engine = new CheckerEngine({ clock: h.clock, random: () => 0.5, effects: 'emit', probes: { tcp: async (c) => h.script.result(c.connect_ip) } });
    engine.start(h.cfg);
    await h.clock.advance(4999);
    assert.equal(h.script.calls.length, 0);
    await h.clock.advance(1);
    assert.equal(h.script.calls.length, 1);
    engine.stop();
  });
});

describe('verdicts into the table', () => {
  it('inhibit_on_failure keeps a failed server at weight 0', async () => {
    const h = harness(VS(RS('192.168.1.1', 'inhibit_on_failure') + RS('192.168.1.2')));
    h.script.up.set('192.168.1.1', false);
    h.engine.start(h.cfg);
    await h.clock.advance(1000);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/0', '192.168.1.2:80/1']);
    assert.ok(h.logs.includes('Disabling service [192.168.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80'));
    h.engine.stop();
  });

  it('alpha: a server is out of the table until its first success', async () => {
    const h = harness(VS(RS('192.168.1.1', 'alpha') + RS('192.168.1.2')));
    h.engine.start(h.cfg);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.2:80/1']);
    await h.clock.advance(1000);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1', '192.168.1.2:80/1']);
    assert.ok(h.logs.includes('Adding service [192.168.1.1]:tcp:80 to VS [10.0.0.1]:tcp:80'));
    h.engine.stop();
  });

  it('alpha with a first failure runs notify_down (keepalived notifies the confirmed state)', async () => {
    const h = harness(VS(RS('192.168.1.1', 'alpha\n notify_down "/bin/echo down"')));
    h.script.up.set('192.168.1.1', false);
    h.engine.start(h.cfg);
    await h.clock.advance(1000);
    assert.deepEqual(h.scripts, [['/bin/echo', 'down']]);
    h.engine.stop();
  });

  it('quorum with hysteresis and a sorry server', async () => {
    const rss = RS('192.168.1.1') + RS('192.168.1.2') + RS('192.168.1.3');
    const h = harness(VS(rss, 'quorum 2\n hysteresis 1\n sorry_server 192.168.9.9 80\n quorum_up "/bin/echo up"\n quorum_down "/bin/echo down"'));
    h.engine.start(h.cfg);
    await h.clock.advance(1000);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1', '192.168.1.2:80/1', '192.168.1.3:80/1']);
    // Down to 1 live: 1 >= 2 - 1, quorum holds (hysteresis).
    h.script.up.set('192.168.1.1', false);
    h.script.up.set('192.168.1.2', false);
    await h.clock.advance(10_000 + 6_000);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.3:80/1']);
    assert.ok(!h.logs.some((l) => l.startsWith('Lost quorum')));
    // Down to 0: quorum lost, the sorry server comes in.
    h.script.up.set('192.168.1.3', false);
    await h.clock.advance(20_000);
    assert.ok(h.logs.includes('Lost quorum 2-1=1 > 0 for VS [10.0.0.1]:tcp:80'));
    assert.ok(h.logs.includes('Adding sorry server [192.168.9.9]:tcp:80 to VS [10.0.0.1]:tcp:80'));
    assert.deepEqual(dests(h.engine.table()), ['192.168.9.9:80/1']);
    assert.ok(h.fifo.includes('VS [10.0.0.1]:tcp:80 DOWN\n'));
    assert.deepEqual(h.scripts.at(-1), ['/bin/echo', 'down']);
    // One back: 1 < 2 + 1 needed to regain — still the sorry server.
    h.script.up.set('192.168.1.1', true);
    await h.clock.advance(10_000);
    assert.deepEqual(dests(h.engine.table()), ['192.168.9.9:80/1']);
    // All three back: 3 >= 3, quorum regained, the sorry server leaves.
    h.script.up.set('192.168.1.2', true);
    h.script.up.set('192.168.1.3', true);
    await h.clock.advance(10_000);
    assert.ok(h.logs.includes('Gained quorum 2+1=3 <= 3 for VS [10.0.0.1]:tcp:80'));
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1', '192.168.1.2:80/1', '192.168.1.3:80/1']);
    assert.deepEqual(h.scripts.at(-1), ['/bin/echo', 'up']);
    h.engine.stop();
  });

  it('misc_dynamic sets the weight to exit status - 2', async () => {
    const h = harness(VS(RS('192.168.1.1', '', 'MISC_CHECK {\n misc_path "/bin/true"\n misc_dynamic\n }')));
    h.script.exit.set('/bin/true', 7);
    h.engine.start(h.cfg);
    await h.clock.advance(1000);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/5']);
    assert.ok(h.logs.includes('Changing weight from 1 to 5 for active service [192.168.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80'));
    h.script.exit.set('/bin/true', 1);
    await h.clock.advance(10_000);
    assert.deepEqual(dests(h.engine.table()), []);
    h.engine.stop();
  });

  it('omega: stopping notifies the servers going down; without omega it does not', async () => {
    for (const omega of [true, false]) {
      const h = harness(VS(RS('192.168.1.1', 'notify_down "/bin/echo gone"'), omega ? 'omega' : ''));
      h.engine.start(h.cfg);
      await h.clock.advance(1000);
      h.engine.stop();
      assert.deepEqual(h.scripts, omega ? [['/bin/echo', 'gone']] : [], `omega ${omega}`);
      assert.ok(h.logs.includes('Shutting down service [192.168.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80'));
    }
  });
});

describe('sorry server variants and the dry-run text', () => {
  it('sorry_server_inhibit keeps the sorry server at weight 0 until quorum is lost; inhibited servers go to 0', async () => {
    const h = harness(VS(RS('192.168.1.1', 'inhibit_on_failure'), 'sorry_server 192.168.9.9 80\n sorry_server_inhibit'));
    h.engine.start(h.cfg);
    await h.clock.advance(1000);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1', '192.168.9.9:80/0']);
    h.script.up.set('192.168.1.1', false);
    await h.clock.advance(20_000);
    assert.ok(h.logs.includes('Enabling sorry server [192.168.9.9]:tcp:80 to VS [10.0.0.1]:tcp:80'));
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/0', '192.168.9.9:80/1']);
    h.engine.stop();
  });

  it('renders the computed table and every checker for --ipvs-dry-run', async () => {
    const h = harness(VS(RS('192.168.1.1') + RS('192.168.1.2')));
    h.script.up.set('192.168.1.2', false);
    h.engine.start(h.cfg);
    await h.clock.advance(1000);
    const text = renderDryRun(h.engine.snapshot());
    assert.match(text, /^TCP  10\.0\.0\.1:80 rr$/m);
    assert.match(text, /^  -> 192\.168\.1\.1:80 +Masq +1 /m);
    assert.doesNotMatch(text, /-> 192\.168\.1\.2:80/);
    assert.match(text, /RS \[192\.168\.1\.2\]:tcp:80: down, weight 1, failed checkers 1/);
    assert.match(text, /TCP_CHECK 192\.168\.1\.2:80: down, 1 attempts, 1 failures, last: refused/);
    h.engine.stop();
  });
});

describe('reload', () => {
  it('unchanged checkers keep their state and schedule; new servers start', async () => {
    const text1 = VS(RS('192.168.1.1') + RS('192.168.1.2'));
    const h = harness(text1);
    h.script.up.set('192.168.1.2', false);
    h.engine.start(h.cfg);
    await h.clock.advance(1000);
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1']);
    await h.clock.advance(0); // the table is published on a zero-delay timer
    const before = h.clock.pending();
    h.engine.update(config(VS(RS('192.168.1.1') + RS('192.168.1.2') + RS('192.168.1.3'))));
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1', '192.168.1.3:80/1'], 'the failed server is not re-added on reload');
    await h.clock.advance(0);
    assert.equal(h.clock.pending(), before + 1, 'only the new checker is scheduled');
    h.engine.update(config(VS(RS('192.168.1.1'))));
    assert.deepEqual(dests(h.engine.table()), ['192.168.1.1:80/1']);
    await h.clock.advance(0);
    assert.equal(h.clock.pending(), 1);
    h.engine.stop();
    assert.equal(h.clock.pending(), 0, 'stop cancels every timer');
  });
});
