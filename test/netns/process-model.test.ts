// keel's processes as keepalived's: a parent supervising a VRRP child and a checker child. In
// network namespaces, with `ip monitor address` watching for any address change that should not
// happen: a checker child killed with SIGKILL is respawned while VRRP keeps its state; a real
// server added by SIGHUP starts checking while the others keep theirs; with -R a dead child stops
// the daemon; a keel killed outright leaves its VIP behind and the next start removes it; -s
// takes keel into a namespace, with the VRRP child's real-time settings applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KEEL, netnsUnavailable } from '../helpers/env.js';
import { globalDefs, hasAddress, instance, labFixture, waitFor, type LabHost, type Router } from '../helpers/vrrp-lab.js';

const skip = netnsUnavailable();
const fx = labFixture();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Status {
  instances: { name: string; state: string; lastTransition?: { at: string } }[];
  virtualServers?: { vs: string; realServers: { rs: string; alive: boolean; checkers: { attempts: number }[] }[] }[];
  processes?: { role: string; pid: number; restarts: number }[];
}

function status(r: Router): Status | undefined {
  const out = spawnSync(process.execPath, [KEEL, 'status', '--json', '--control', r.control], { encoding: 'utf8' });
  return out.status === 0 ? JSON.parse(out.stdout) as Status : undefined;
}

function childPid(r: Router, which: 'vrrp' | 'check'): number {
  try {
    return Number(readFileSync(join(dirname(r.file), `${which}.pid`), 'utf8').trim());
  } catch {
    return 0;
  }
}

function monitor(host: LabHost): { text: () => string; stop: () => void } {
  const mon = host.spawn('ip', ['monitor', 'address']);
  let text = '';
  mon.stdout?.on('data', (d: Buffer) => { text += d.toString(); });
  return { text: () => text, stop: () => mon.kill('SIGTERM') };
}

function virtualServer(ports: number[]): string {
  return `
virtual_server 10.77.0.100 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
${ports.map((p) => `  real_server 127.0.0.1 ${p} {
    TCP_CHECK {
      connect_timeout 1
    }
  }`).join('\n')}
}
`;
}

test('a checker child killed is respawned while VRRP keeps its state; a real server added by SIGHUP joins, the others keep theirs', { skip, timeout: 90_000 }, async () => {
  const lab = fx.lab('pm');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const listener = a.spawn(process.execPath, ['-e', "for (const p of [18101, 18102, 18103]) require('net').createServer((s) => s.end()).listen(p, '127.0.0.1')"]);
  const conf = (ports: number[]): string => globalDefs('a') + instance({ priority: 150 }) + virtualServer(ports);
  const n = fx.router('keel', a, conf([18101, 18102]), ['--ipvs-dry-run']);
  try {
    await waitFor('master with both real servers up', () => {
      const s = status(n);
      const rs = s?.virtualServers?.[0]?.realServers ?? [];
      return s?.instances[0]?.state === 'MASTER' && rs.length === 2 && rs.every((r) => r.alive);
    }, 20_000, [n]);
    const processes = status(n)!.processes!;
    assert.deepEqual(processes.map((p) => p.role).sort(), ['check', 'vrrp']);
    const vrrpPid = childPid(n, 'vrrp');
    assert.equal(processes.find((p) => p.role === 'vrrp')!.pid, vrrpPid);
    const masterSince = status(n)!.instances[0]!.lastTransition!.at;
    const mon = monitor(a);
    await sleep(300);
    const entering = (): number => n.lines.filter((l) => / Entering /.test(l.text)).length;
    const before = entering();

    // A real server added: it is checked; the two known ones keep their checkers' history.
    const attemptsBefore = status(n)!.virtualServers![0]!.realServers.map((r) => r.checkers[0]!.attempts);
    writeFileSync(n.file, conf([18101, 18102, 18103]));
    n.kill('SIGHUP');
    await waitFor('the third real server up', () => {
      const rs = status(n)?.virtualServers?.[0]?.realServers ?? [];
      return rs.length === 3 && rs.every((r) => r.alive);
    }, 15_000, [n]);
    const attemptsAfter = status(n)!.virtualServers![0]!.realServers.map((r) => r.checkers[0]!.attempts);
    assert.ok(attemptsAfter[0]! >= attemptsBefore[0]! && attemptsAfter[1]! >= attemptsBefore[1]!,
      `known real servers kept their state: ${attemptsBefore} -> ${attemptsAfter}`);

    // The checker child dies: the parent respawns it; the VRRP child never notices.
    const checkPid = childPid(n, 'check');
    assert.ok(checkPid > 0 && checkPid !== vrrpPid);
    process.kill(checkPid, 'SIGKILL');
    await waitFor('a new checker child judging all three', () => {
      const s = status(n);
      const rs = s?.virtualServers?.[0]?.realServers ?? [];
      const p = s?.processes?.find((x) => x.role === 'check');
      return !!p && p.pid !== checkPid && p.restarts === 1 && rs.length === 3 && rs.every((r) => r.alive);
    }, 20_000, [n]);
    await waitFor('the respawn logged', () => n.lines.some((l) => l.text.includes(`Healthcheck child process(${checkPid}) died: Respawning`)), 5_000, [n]);
    await sleep(1_500);
    const s = status(n)!;
    assert.equal(s.instances[0]!.state, 'MASTER');
    assert.equal(s.instances[0]!.lastTransition!.at, masterSince, 'no VRRP transition');
    assert.equal(childPid(n, 'vrrp'), vrrpPid, 'the VRRP child is the same process');
    assert.equal(entering(), before);
    mon.stop();
    assert.equal(mon.text().split('\n').filter((l) => / inet6? /.test(l)).length, 0, `address changes:\n${mon.text()}`);
    n.kill('SIGTERM');
    assert.equal(await n.exited(), 0);
  } finally {
    listener.kill('SIGKILL');
  }
});

test('with -R a child that dies stops the daemon, releasing the VIP', { skip, timeout: 60_000 }, async () => {
  const lab = fx.lab('pr');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const n = fx.router('keel', a, globalDefs('a') + instance({ priority: 150 }), ['-R']);
  await waitFor('master', () => n.state() === 'MASTER' && hasAddress(a, '10.77.0.100'), 15_000, [n]);
  process.kill(childPid(n, 'vrrp'), 'SIGKILL');
  const code = await n.exited();
  assert.equal(code, 0);
  assert.ok(n.lines.some((l) => /VRRP child process\(\d+\) died: Exiting/.test(l.text)), n.lines.map((l) => l.text).join('\n'));
});

test('keel killed outright leaves its VIP; the next start as backup removes it', { skip, timeout: 90_000 }, async () => {
  const lab = fx.lab('pk');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const b = lab.addHost('b', ['10.77.0.2/24']);
  const ra = fx.router('keel', a, globalDefs('a') + instance({ priority: 150 }));
  await waitFor('a master', () => ra.state() === 'MASTER' && hasAddress(a, '10.77.0.100'), 15_000, [ra]);
  const rb = fx.router('keel', b, globalDefs('b') + instance({ priority: 100 }));
  await waitFor('b backup', () => rb.state() === 'BACKUP', 10_000, [rb]);
  ra.crash();
  await ra.exited();
  await waitFor('b takes over', () => rb.state() === 'MASTER' && hasAddress(b, '10.77.0.100'), 10_000, [rb]);
  assert.ok(hasAddress(a, '10.77.0.100'), 'a killed keel cannot release its VIP');
  // a comes back with a lower priority: it stays backup and removes what its predecessor left.
  const ra2 = fx.router('keel', a, globalDefs('a') + instance({ priority: 50 }));
  await waitFor('a backup, VIP gone from a', () => ra2.state() === 'BACKUP' && !hasAddress(a, '10.77.0.100'), 15_000, [ra2]);
  assert.ok(ra2.lines.some((l) => /removed leftover address 10\.77\.0\.100/.test(l.text)), ra2.lines.map((l) => l.text).join('\n'));
  assert.equal(rb.state(), 'MASTER');
  assert.ok(hasAddress(b, '10.77.0.100'));
  ra2.kill('SIGTERM');
  rb.kill('SIGTERM');
  assert.equal(await ra2.exited(), 0);
  assert.equal(await rb.exited(), 0);
});

test('-s NAME: started outside, keel runs VRRP inside the namespace; vrrp_rt_priority and vrrp_cpu_affinity reach the VRRP child', { skip, timeout: 60_000 }, async () => {
  const lab = fx.lab('ps');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const dir = mkdtempSync(join(tmpdir(), 'keel-ps-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, globalDefs('a', '  vrrp_rt_priority 30\n  vrrp_cpu_affinity 0\n') + instance({ priority: 150 }));
  // Not through the lab: this process is in the host's namespace; -s takes keel into a's.
  const proc = spawn(process.execPath, [KEEL, '-n', '-l', '-s', a.ns, '-f', conf, '-p', join(dir, 'main.pid'), '-r', join(dir, 'vrrp.pid'),
    '-c', join(dir, 'check.pid'), '--control', join(dir, 'keel.sock')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  try {
    await waitFor('master in the namespace', () => /\(VI_1\) Entering MASTER STATE/.test(log) && hasAddress(a, '10.77.0.100'), 15_000);
    assert.doesNotMatch(log, /doesn't exist|Non-existent interface/, 'eth0 is found inside the namespace');
    const vrrpPid = Number(readFileSync(join(dir, 'vrrp.pid'), 'utf8'));
    // /proc/PID/stat: field 40 rt_priority, 41 policy (2 = SCHED_RR).
    const stat = readFileSync(`/proc/${vrrpPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(fields[39 - 2], '30', 'rt_priority');
    assert.equal(fields[40 - 2], '2', 'SCHED_RR');
    assert.match(readFileSync(`/proc/${vrrpPid}/status`, 'utf8'), /Cpus_allowed_list:\s+0\n/);
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!hasAddress(a, '10.77.0.100'), 'VIP released on stop');
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGUSR1 and SIGUSR2 reach both children: keepalived.data, keepalived_check.data, keepalived.stats, keepalived.json in $TMPDIR', { skip, timeout: 60_000 }, async () => {
  const lab = fx.lab('pd');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const dir = mkdtempSync(join(tmpdir(), 'keel-pd-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, globalDefs('a') + instance({ priority: 150 }) + virtualServer([18199]));
  const proc = a.spawn(process.execPath, [KEEL, '-n', '-l', '-f', conf, '-p', join(dir, 'main.pid'), '-r', join(dir, 'vrrp.pid'),
    '-c', join(dir, 'check.pid'), '--control', join(dir, 'keel.sock'), '--ipvs-dry-run'], { env: { ...process.env, TMPDIR: dir } });
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const file = (n: string): string => { try { return readFileSync(join(dir, n), 'utf8'); } catch { return ''; } };
  try {
    await waitFor('master and a checker verdict', () => /Entering MASTER STATE/.test(log) && /18199/.test(log) && /fail|Removing/i.test(log), 20_000);
    proc.kill('SIGUSR1');
    await waitFor('data dumps', () => file('keepalived.data').includes('VRRP Instance = VI_1') && file('keepalived_check.data').includes('18199'), 5_000);
    assert.match(file('keepalived.data'), /State = MASTER/);
    proc.kill('SIGUSR2');
    await waitFor('stats and JSON dumps', () => file('keepalived.stats').includes('VRRP Instance: VI_1') && file('keepalived.json').length > 0, 5_000);
    const json = JSON.parse(file('keepalived.json')) as { data: { iname: string; state: number; vrid: number }; stats: { become_master: number } }[];
    assert.equal(json[0]!.data.iname, 'VI_1');
    assert.equal(json[0]!.data.state, 2, 'MASTER is 2 as in keepalived');
    assert.equal(json[0]!.data.vrid, 51);
    assert.equal(json[0]!.stats.become_master, 1);
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
