// Load for checker benchmarks: HTTP responders (a child process, its CPU measured apart), a
// keepalived.conf with N HTTP_GET real servers pointed at them, and the small statistics the
// tables print; the command-line and exit plumbing the benchmarks share.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESPONDER_HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** A minimal HTTP/1.0 responder per host; prints "HOST PORT,..." once listening. */
const RESPONDER = `
import net from 'node:net';
const body = 'ok\\n';
const resp = 'HTTP/1.0 200 OK\\r\\nContent-Length: ' + body.length + '\\r\\n\\r\\n' + body;
const hosts = ${JSON.stringify(RESPONDER_HOSTS)};
const ports = [];
for (const h of hosts) {
  const s = net.createServer((c) => { c.on('error', () => {}); c.once('data', () => c.end(resp)); });
  s.listen({ host: h, port: 0, backlog: 4096 }, () => { ports.push(h + ' ' + s.address().port); if (ports.length === hosts.length) console.log(ports.join(',')); });
}
`;

export interface Target { host: string; port: number }

let compiled: string | undefined | null = null;

/**
 * test/helpers/responder.c built with the C compiler (keel's native build already needs one), or
 * undefined without one (or with BENCH_RESPONDER=node): the Node responder above is used then.
 */
export function nativeResponder(): string | undefined {
  if (compiled !== null) return compiled;
  compiled = undefined;
  if (process.env.BENCH_RESPONDER === 'node') return compiled;
  const src = fileURLToPath(new URL('../../../test/helpers/responder.c', import.meta.url));
  if (!existsSync(src)) return compiled;
  const dir = mkdtempSync(join(tmpdir(), 'keel-responder-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'responder');
  const r = spawnSync('cc', ['-O2', '-o', out, src], { encoding: 'utf8' });
  if (r.status === 0) compiled = out;
  else console.error(`responder.c not built (${r.error?.message ?? r.stderr.trim()}); using the Node responder`);
  return compiled;
}

/** Which responder startResponder() runs: "C (epoll)" or "Node". */
export function responderKind(): string {
  return nativeResponder() ? 'C (epoll)' : 'Node';
}

/** Start the responders with `spawnFn` (plain spawn, or a lab host's spawn for a namespace). */
export async function startResponder(
  spawnFn: (cmd: string, args: string[]) => ChildProcess = (cmd, args) => spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] }),
): Promise<{ pid: number; targets: Target[]; stop: () => void; served?: () => Promise<number> }> {
  const bin = nativeResponder();
  const child = bin ? spawnFn(bin, RESPONDER_HOSTS) : spawnFn(process.execPath, ['--input-type=module', '-e', RESPONDER]);
  const line = await new Promise<string>((resolve) => child.stdout!.once('data', (b: Buffer) => resolve(b.toString().trim())));
  const targets = line.split(',').map((x) => {
    const [host, port] = x.split(' ');
    return { host: host!, port: Number(port) };
  });
  const out: { pid: number; targets: Target[]; stop: () => void; served?: () => Promise<number> } = { pid: child.pid!, targets, stop: () => child.kill('SIGKILL') };
  // The C responder counts the connections it answered (printed on SIGUSR1).
  if (bin) {
    out.served = () => new Promise<number>((resolve) => {
      child.stdout!.once('data', (b: Buffer) => resolve(Number(/served (\d+)/.exec(b.toString())?.[1] ?? NaN)));
      child.kill('SIGUSR1');
    });
  }
  return out;
}

/** N real servers with HTTP_GET (delay_loop 1) in virtual servers of 1,000, checked at the responders. */
export function checkersConfig(n: number, targets: Target[]): string {
  const out: string[] = [];
  const perVs = 1000;
  for (let v = 0; v * perVs < n; v++) {
    out.push(`virtual_server 10.200.${v >> 8}.${v & 255} 80 {\n delay_loop 1\n lvs_sched wrr\n lvs_method NAT\n protocol TCP`);
    for (let i = v * perVs; i < Math.min(n, (v + 1) * perVs); i++) {
      const t = targets[i % targets.length]!;
      out.push(` real_server 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255} 80 {\n  HTTP_GET {\n   connect_ip ${t.host}\n   connect_port ${t.port}\n   connect_timeout 2\n   url {\n    path /health\n   }\n  }\n }`);
    }
    out.push('}');
  }
  return out.join('\n');
}

export function pct(a: number[], p: number): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** CPU seconds (user+system) of a process from /proc. */
export function procCpu(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A numeric `--name N` from the command line, else `dflt`. */
export function benchArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

/** Run a benchmark's main: exit 0 when done (helper processes may linger), 1 with the message on failure. */
export function runBench(main: () => Promise<void>): void {
  main().then(() => process.exit(0), (e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}

/** Print rows as a padded table. */
export function printTable(head: string[], rows: string[][]): void {
  const table = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}
