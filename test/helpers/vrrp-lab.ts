// Routers in a Lab: keel or real keepalived 2.2.7 running in a host namespace with its own config
// and pid files, their log lines collected, their state read from the lines both write
// ("(VI_1) Entering MASTER STATE") and from the addresses on the host's interfaces.
import type { ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { Lab as LabClass } from './lab.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEEL } from './env.js';
import type { Lab, LabHost } from './lab.js';

export type Implementation = 'keel' | 'keepalived';

export interface Router {
  readonly impl: Implementation;
  readonly host: LabHost;
  readonly proc: ChildProcess;
  /** keel's control socket (namespaces share the filesystem: one per router). */
  readonly control: string;
  /** The config file it runs (rewrite it and send SIGHUP to reload). */
  readonly file: string;
  /** Log lines so far, each with the monotonic time (ms) it was read. */
  readonly lines: { t: number; text: string }[];
  /** The last "Entering X STATE" of an instance, or undefined. */
  state(instance?: string): string | undefined;
  /** When the instance last entered `state` (monotonic ms), after `since`. */
  enteredAt(state: string, since?: number, instance?: string): number | undefined;
  kill(signal: NodeJS.Signals): void;
  /**
   * Die without a word, as a crashed router does. Both keepalived and keel do their VRRP work in
   * a child that stops gracefully (priority 0) when its parent dies, so the child is killed first
   * while the parent is stopped (it would respawn it).
   */
  crash(): void;
  exited(): Promise<number | null>;
}

const dirs: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `keel-${prefix}-`));
  dirs.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

const now = (): number => performance.now();

/** Start keel or keepalived (VRRP only) on `host` with `conf`. */
export function startRouter(impl: Implementation, host: LabHost, conf: string, extra: string[] = [], opts: { detail?: boolean } = {}): Router {
  const dir = tempDir(`${impl}-${host.label}`);
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, conf);
  const pid = (n: string): string => join(dir, `${n}.pid`);
  // -D by default; without it for many VIPs (keepalived 2.2.7 with -D and 1,000 VIPs logs every
  // gratuitous ARP and then stops advertising, which would time its logging, not its failover).
  const detail = opts.detail === false ? [] : ['-D'];
  const args = impl === 'keel'
    ? ['-n', '-l', ...detail, '-f', file, '-p', pid('main'), '-r', pid('vrrp'), '-c', pid('check'), '--control', join(dir, 'keel.sock'), ...extra]
    : ['-n', '-l', ...detail, '-P', '-f', file, '-p', pid('main'), '-r', pid('vrrp'), '-c', pid('check'), ...extra];
  const proc = impl === 'keel' ? host.spawn(process.execPath, [KEEL, ...args]) : host.spawn('keepalived', args);
  const lines: { t: number; text: string }[] = [];
  let buf = '';
  const take = (d: Buffer): void => {
    buf += d.toString('latin1');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const raw = buf.slice(0, i);
      buf = buf.slice(i + 1);
      // Both write "<timestamp>: message" with -l; keep the message.
      const m = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}: (.*)$/.exec(raw);
      lines.push({ t: now(), text: m ? m[1]! : raw });
    }
  };
  proc.stdout?.on('data', take);
  proc.stderr?.on('data', take);
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const entering = /^\((\S+)\) Entering (MASTER|BACKUP|FAULT) STATE/;
  return {
    impl, host, proc, lines, control: join(dir, 'keel.sock'), file,
    state(instance = 'VI_1') {
      for (let i = lines.length - 1; i >= 0; i--) {
        const m = entering.exec(lines[i]!.text);
        if (m && m[1] === instance) return m[2];
      }
      return undefined;
    },
    enteredAt(state, since = 0, instance = 'VI_1') {
      for (const l of lines) {
        const m = entering.exec(l.text);
        if (m && m[1] === instance && m[2] === state && l.t >= since) return l.t;
      }
      return undefined;
    },
    kill(signal) {
      if (!proc.pid || proc.exitCode !== null || proc.signalCode !== null) return;
      try {
        process.kill(proc.pid, signal);
      } catch {
        // Exited between the check and the kill.
      }
    },
    crash() {
      if (!proc.pid) return;
      let child = NaN;
      try {
        child = Number(readFileSync(pid('vrrp'), 'utf8').trim());
      } catch {
        // No VRRP child yet.
      }
      this.kill('SIGSTOP');
      if (Number.isInteger(child) && child > 0) {
        try {
          process.kill(child, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      this.kill('SIGKILL');
    },
    exited: () => exit,
  };
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number, router?: Router[]): Promise<number> {
  const start = now();
  while (!cond()) {
    if (now() - start > timeoutMs) {
      const logs = (router ?? []).map((r) => `--- ${r.impl} on ${r.host.label}:\n${r.lines.map((l) => l.text).join('\n')}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return now();
}

/** IPv4 addresses (or IPv6 with `family`) on a host's interface, without prefix. */
export function addressesOn(host: LabHost, ifname = 'eth0', family: 'inet' | 'inet6' = 'inet'): string[] {
  const out = host.exec('ip', ['-o', `-${family === 'inet' ? 4 : 6}`, 'addr', 'show', 'dev', ifname]).stdout;
  return out.split('\n').map((l) => /inet6? (\S+)\//.exec(l)?.[1]).filter((x): x is string => !!x);
}

export function hasAddress(host: LabHost, addr: string, ifname = 'eth0'): boolean {
  return addressesOn(host, ifname).includes(addr);
}

export interface InstanceOpts {
  name?: string;
  iface?: string;
  vrid?: number;
  priority?: number;
  state?: 'MASTER' | 'BACKUP';
  advertInt?: number;
  version?: 2 | 3;
  vips?: readonly string[];
  extra?: string;
}

/** A vrrp_instance block. */
export function instance(o: InstanceOpts): string {
  const vips = o.vips ?? ['10.77.0.100/24'];
  return [
    `vrrp_instance ${o.name ?? 'VI_1'} {`,
    `  state ${o.state ?? 'BACKUP'}`,
    `  interface ${o.iface ?? 'eth0'}`,
    `  virtual_router_id ${o.vrid ?? 51}`,
    `  priority ${o.priority ?? 100}`,
    `  advert_int ${o.advertInt ?? 1}`,
    ...(o.version ? [`  version ${o.version}`] : []),
    ...(o.extra ? [o.extra] : []),
    '  virtual_ipaddress {',
    ...vips.map((v) => `    ${v}`),
    '  }',
    '}',
  ].join('\n') + '\n';
}

export function globalDefs(routerId: string, extra = ''): string {
  return `global_defs {\n  router_id ${routerId}\n${extra}}\n`;
}

/** SIGTERM, and SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
export async function stopRouter(r: Router, graceMs = 15_000): Promise<void> {
  r.kill('SIGTERM');
  const t = setTimeout(() => r.kill('SIGKILL'), graceMs);
  await r.exited();
  clearTimeout(t);
}

export function stopAll(routers: Router[]): void {
  for (const r of routers) r.kill('SIGKILL');
}

export type { Lab, LabHost };

/**
 * For a test file: labs and routers made through it are killed and removed in an after hook
 * (with the temporary folders), whatever the tests did.
 */
export function labFixture(): {
  lab(prefix: string): Lab;
  router(impl: Implementation, host: LabHost, conf: string, extra?: string[]): Router;
} {
  const labs: Lab[] = [];
  const routers: Router[] = [];
  after(() => {
    for (const r of routers) r.kill('SIGKILL');
    for (const l of labs) l.destroy();
    removeTempDirs();
  });
  return {
    lab(prefix) {
      const l = new LabClass(prefix);
      labs.push(l);
      return l;
    },
    router(impl, host, conf, extra = []) {
      const r = startRouter(impl, host, conf, extra);
      routers.push(r);
      return r;
    },
  };
}
