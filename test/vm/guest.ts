// Helpers for tests that run inside the IPVS test VM (files named *.guest.ts, started by
// test/vm/ipvs.test.ts through test/vm/vm.ts). The guest is a throwaway kernel: these helpers
// still clean up what they create so that one test does not see another's table.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { openIpvs, type NetlinkIpvs } from '../../src/ipvs/client.js';

/** True inside the test VM (its init passes the results folder; ip_vs is loaded). */
export function inVm(): boolean {
  return process.env.KEEL_IN_VM === '1' && existsSync('/proc/net/ip_vs');
}

/** Run a program (argv, no shell); throws with its stderr when it fails. */
export function run(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function ipvsadm(...args: string[]): string {
  return run(['ipvsadm', ...args]);
}

/** Empty table, default timeouts, no sync daemons. */
export function resetIpvs(): void {
  ipvsadm('-C');
  ipvsadm('--set', '900', '120', '300');
  spawnSync('ipvsadm', ['--stop-daemon', 'master'], { stdio: 'ignore' });
  spawnSync('ipvsadm', ['--stop-daemon', 'backup'], { stdio: 'ignore' });
}

const NET_IF = 'kvtest0';

/**
 * An interface with default routes, so every real server address is unicast to the kernel
 * (it refuses DR/TUN destinations it has no route to: "address not unicast").
 */
export function setupNet(): void {
  spawnSync('ip', ['link', 'del', NET_IF], { stdio: 'ignore' });
  run(['ip', 'link', 'add', NET_IF, 'type', 'veth', 'peer', 'name', `${NET_IF}p`]);
  run(['ip', 'link', 'set', NET_IF, 'up']);
  run(['ip', 'link', 'set', `${NET_IF}p`, 'up']);
  run(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', NET_IF]);
  run(['ip', '-6', 'addr', 'add', '2001:db8:ffff::1/64', 'dev', NET_IF, 'nodad']);
  run(['ip', 'route', 'add', 'default', 'dev', NET_IF]);
  run(['ip', '-6', 'route', 'add', 'default', 'dev', NET_IF]);
}

export function teardownNet(): void {
  spawnSync('ip', ['link', 'del', NET_IF], { stdio: 'ignore' });
}

export function lineCount(s: string): number {
  return s.split('\n').filter((l) => l.length).length;
}

/**
 * Run real keepalived (checker only) on `conf` until its table has `expectLines` lines of
 * `ipvsadm -Sn` (or stops changing), read the table, and stop it. Returns the -Sn text and
 * the milliseconds from start until the table was complete.
 */
export async function keepalivedTable(conf: string, expectLines: number, opts: { timeoutMs?: number; read?: () => string } = {}): Promise<{ save: string; extra: string; ms: number; log: string }> {
  const dir = mkdtempSync('/tmp/keel-ka-');
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, conf);
  const t0 = Date.now();
  const child = spawn('keepalived', ['-n', '-l', '-C', '-f', file, '-p', join(dir, 'ka.pid'), '-c', join(dir, 'ch.pid'), '-r', join(dir, 'vr.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (b: Buffer) => { log += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { log += b.toString(); });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const deadline = t0 + (opts.timeoutMs ?? 15000);
  let save = '';
  let ms = -1;
  let last = '';
  let stableSince = Date.now();
  try {
    for (;;) {
      save = ipvsadm('-Sn');
      const n = lineCount(save);
      if (n >= expectLines && ms < 0) ms = Date.now() - t0;
      if (save !== last) { last = save; stableSince = Date.now(); }
      // Complete, and unchanged for a moment (keepalived may still be adding the sorry server).
      if (ms >= 0 && Date.now() - stableSince >= 300) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const extra = opts.read?.() ?? '';
    return { save, extra, ms, log };
  } finally {
    if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/**
 * For a guest test file: the guest's network and an empty IPVS table before its tests, a netlink
 * client handed to `set`, everything removed after. Returns the file's skip reason (outside the VM).
 */
export function guestIpvs(set: (c: NetlinkIpvs) => void): string | false {
  const skip = inVm() ? false : 'runs inside the IPVS test VM (test/vm/ipvs.test.ts boots it)';
  let client: NetlinkIpvs | undefined;
  before(async () => {
    if (skip) return;
    setupNet();
    resetIpvs();
    client = await openIpvs();
    set(client);
  });
  after(() => {
    if (skip) return;
    client?.close();
    resetIpvs();
    teardownNet();
  });
  return skip;
}
