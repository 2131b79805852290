// Boot the IPVS test VM (Debian's kernel under qemu/TCG, the host's root shared read-only over
// 9p) and run one command inside it, chrooted into the host's root. See test/vm/build.sh and
// test/vm/init.sh, and docs/ipvs.md ("Testing against a real kernel").
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout (this file runs from dist/test/vm/ or, as source, test/vm/). */
export const REPO = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the checkout');
    d = up;
  }
  return d;
})();
export const VM_DIR = join(REPO, 'test', 'vm');
export const CACHE = process.env.KEEL_VM_CACHE ?? join(VM_DIR, '.cache');

export interface VmResult {
  /** Exit status of the command inside the VM (-1: it never reported one). */
  code: number;
  stdout: string;
  stderr: string;
  /** The VM's serial console (kernel and init messages). */
  console: string;
  ms: number;
}

/** Why the VM cannot run here, or undefined when it can. */
export function vmUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (qemu shares / over 9p and the guest programs IPVS)';
  const q = spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
  if (q.error || q.status !== 0) return 'qemu-system-x86_64 is not installed (run test/vm/setup.sh)';
  if (!existsSync('/bin/busybox')) return 'busybox-static is not installed (run test/vm/setup.sh)';
  return undefined;
}

/**
 * Build (or reuse) the kernel and initramfs. Returns nothing when ready, `{ skip }` when the
 * kernel package cannot be had here (build.sh exit 3), `{ error }` when the build broke.
 */
export function buildVm(): { skip?: string; error?: string } {
  const r = spawnSync('bash', [join(VM_DIR, 'build.sh')], { encoding: 'utf8', env: { ...process.env, KEEL_VM_CACHE: CACHE } });
  if (r.status === 0) return {};
  const why = (r.stderr || r.error?.message || '').trim().split('\n').slice(-5).join(' | ');
  return r.status === 3 ? { skip: `the kernel package is not available: ${why}` } : { error: `build.sh failed (${r.status}): ${why}` };
}

/** For the benchmarks: why the VM cannot run here (unavailable, or its build failed), else undefined once built. */
export function vmNotReady(): string | undefined {
  const unavailable = vmUnavailable();
  if (unavailable) return unavailable;
  const b = buildVm();
  return b.skip ?? b.error;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

let runs = 0;

/**
 * Boot the VM, run `argv` in `cwd` (paths are the host's: the guest sees the same tree), and
 * power off. The command's stdout/stderr come back whole once the VM has stopped.
 */
export async function runInVm(argv: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string>; memMb?: number } = {}): Promise<VmResult> {
  const results = join(CACHE, 'runs', `${process.pid}-${++runs}`);
  rmSync(results, { recursive: true, force: true });
  mkdirSync(results, { recursive: true });
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `export ${k}=${shQuote(v)}\n`).join('');
  // The script is generated from argv with every word quoted: no word is ever re-split.
  writeFileSync(join(results, 'run.sh'), `${env}cd ${shQuote(resolve(opts.cwd ?? REPO))} || exit 99\n${argv.map(shQuote).join(' ')}\n`);
  const kernel = join(CACHE, 'vmlinuz');
  const initrd = join(CACHE, 'initramfs.gz');
  const args = [
    '-accel', 'tcg', '-cpu', 'max', '-smp', '2', '-m', String(opts.memMb ?? 1536),
    '-nographic', '-no-reboot', '-net', 'none',
    '-kernel', kernel, '-initrd', initrd,
    '-append', `console=ttyS0 quiet panic=-1 keel_run=${join(results, 'run.sh')} keel_results=${results}`,
    '-virtfs', 'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${results},mount_tag=results,security_model=none,multidevs=remap`,
  ];
  const t0 = Date.now();
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let consoleText = '';
  child.stdout.on('data', (b: Buffer) => { consoleText += b.toString('utf8'); });
  child.stderr.on('data', (b: Buffer) => { consoleText += b.toString('utf8'); });
  const timeoutMs = opts.timeoutMs ?? 300_000;
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; if (child.pid) process.kill(child.pid, 'SIGKILL'); }, timeoutMs);
  await new Promise<void>((res) => child.on('close', () => res()));
  clearTimeout(timer);
  const read = (f: string): string => (existsSync(join(results, f)) ? readFileSync(join(results, f), 'utf8') : '');
  const rc = read('rc').trim();
  const out: VmResult = {
    code: rc === '' ? -1 : Number(rc),
    stdout: read('stdout'),
    stderr: read('stderr') + (timedOut ? `\n(the VM was killed after ${timeoutMs} ms)` : ''),
    console: consoleText,
    ms: Date.now() - t0,
  };
  rmSync(results, { recursive: true, force: true });
  return out;
}
