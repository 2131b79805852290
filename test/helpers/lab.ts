// A LAN of network namespaces for tests: a bridge namespace ("switch") and hosts, each with an
// `eth0` plugged into the bridge. Names are unique per test; destroy() removes everything (call
// it in an after hook). Processes started with spawnIn() are killed by pid on destroy.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions, type SpawnSyncReturns } from 'node:child_process';

function must(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

let counter = 0;

export interface LabHost {
  /** The namespace's name. */
  readonly ns: string;
  /** The host's label in the lab (a, b, ...). */
  readonly label: string;
  /** Interfaces of the host, eth0 first. */
  readonly interfaces: string[];
  exec(cmd: string, args: string[], opts?: { timeoutMs?: number; input?: string }): SpawnSyncReturns<string>;
  /** `ip ARGS` inside the host; throws on failure. */
  ip(...args: string[]): string;
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
}

export class Lab {
  readonly id: string;
  readonly bridgeNs: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  readonly hosts = new Map<string, LabHost>();
  private links = 0;

  /** `prefix`: a few letters naming the test (namespace names stay short and unique). */
  constructor(prefix: string) {
    this.id = `${prefix}${process.pid % 100000}x${counter++}`;
    this.bridgeNs = `${this.id}-sw`;
    must(['netns', 'add', this.bridgeNs]);
    this.namespaces.push(this.bridgeNs);
    must(['-n', this.bridgeNs, 'link', 'set', 'lo', 'up']);
    must(['-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0']);
    // No multicast snooping: VRRP's group must reach every port without IGMP reports.
    must(['-n', this.bridgeNs, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    must(['-n', this.bridgeNs, 'link', 'set', 'br0', 'up']);
  }

  /**
   * A host with `eth0` on the LAN (and eth1.. on the same LAN when `interfaces` > 1), addresses
   * as given ("10.1.0.1/24" on eth0), all links up.
   */
  addHost(label: string, addresses: readonly string[] = [], interfaces = 1): LabHost {
    const ns = `${this.id}-${label}`;
    must(['netns', 'add', ns]);
    this.namespaces.push(ns);
    must(['-n', ns, 'link', 'set', 'lo', 'up']);
    const ifs: string[] = [];
    for (let i = 0; i < interfaces; i++) {
      const port = `p${this.links++}`;
      const ifname = `eth${i}`;
      must(['-n', ns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', port, 'netns', this.bridgeNs]);
      must(['-n', this.bridgeNs, 'link', 'set', port, 'master', 'br0']);
      must(['-n', this.bridgeNs, 'link', 'set', port, 'up']);
      must(['-n', ns, 'link', 'set', ifname, 'up']);
      ifs.push(ifname);
    }
    for (const a of addresses) must(['-n', ns, 'addr', 'add', a, 'dev', 'eth0']);
    const children = this.children;
    const host: LabHost = {
      ns, label, interfaces: ifs,
      exec: (cmd, args, opts = {}) => spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], {
        encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, input: opts.input ?? '',
      }),
      ip: (...args) => {
        const r = spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8', timeout: 30_000 });
        if (r.status !== 0) throw new Error(`ip -n ${ns} ${args.join(' ')} failed: ${r.stderr}`);
        return r.stdout;
      },
      spawn: (cmd, args, opts = {}) => {
        const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
        children.push(c);
        return c;
      },
    };
    this.hosts.set(label, host);
    return host;
  }

  host(label: string): LabHost {
    const h = this.hosts.get(label);
    if (!h) throw new Error(`no host ${label} in lab ${this.id}`);
    return h;
  }

  /** Cut or restore a host's port on the bridge (the far end of its eth0 or ethN). */
  setPort(label: string, up: boolean, ifIndex = 0): void {
    const h = this.host(label);
    const peer = spawnSync('ip', ['-n', h.ns, '-o', 'link', 'show', h.interfaces[ifIndex]!], { encoding: 'utf8' }).stdout;
    const m = /@if(\d+)/.exec(peer);
    if (!m) throw new Error(`cannot find the bridge port of ${label}`);
    const list = spawnSync('ip', ['-n', this.bridgeNs, '-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
    const line = list.split('\n').find((l) => l.startsWith(`${m[1]}:`));
    const name = line?.split(':')[1]?.trim().split('@')[0];
    if (!name) throw new Error(`cannot find the bridge port of ${label}`);
    must(['-n', this.bridgeNs, 'link', 'set', name, up ? 'up' : 'down']);
  }

  /** Kill every process started here (by pid), then delete every namespace. */
  destroy(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null && c.pid) {
        try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    for (const ns of this.namespaces.reverse()) {
      // Processes still inside a namespace we made (started through `ip netns exec` by a child).
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
      for (const p of pids) {
        try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
    this.namespaces.length = 0;
  }
}
