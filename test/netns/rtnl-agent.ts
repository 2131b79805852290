// Runs the rtnetlink AddressManager inside a network namespace for the netns tests: a netlink
// socket belongs to the namespace of the process that opens it, and node cannot setns(), so the
// tests start this file with `ip netns exec NS node rtnl-agent.js` and talk to it in JSON lines:
//   stdin  {"id":1,"method":"addAddress","args":[entry,"eth0"]}
//   stdout {"id":1,"result":true} | {"id":1,"error":"cannot add ...: ENODEV"} | {"event":{...}}
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AddressEntry } from '../../src/config/blocks/addresses.js';
import type { LinkEvent } from '../../src/net/ports.js';
import { RtnetlinkAddressManager, type AddressEvent, type RouteEvent, type RuleEvent } from '../../src/net/rtnetlink.js';
import { setupVmac, teardownVmac } from '../../src/net/vmac.js';

export type Change = ({ kind: 'address' } & AddressEvent) | ({ kind: 'route' } & RouteEvent) | ({ kind: 'rule' } & RuleEvent);

/** `count` /32 VIPs from 10.200.0.1 up, as the config builds them. */
export function manyVips(count: number): AddressEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    address: `10.200.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}/32`, family: 'inet', home: false, dad: false,
    mngtmpaddr: false, noprefixroute: false, autojoin: false, no_track: false, use_vmac: false,
  }));
}

async function serve(): Promise<void> {
  const mgr = new RtnetlinkAddressManager();
  const out = (o: unknown): void => {
    process.stdout.write(JSON.stringify(o) + '\n');
  };
  const methods: Record<string, (...args: never[]) => unknown> = {
    links: () => mgr.links(),
    link: (n: string) => mgr.link(n),
    addresses: (n?: string) => mgr.addresses(n),
    addressDetails: (n?: string) => mgr.addressDetails(n),
    addAddress: (a: AddressEntry, n: string) => mgr.addAddress(a, n),
    removeAddress: (a: AddressEntry, n: string) => mgr.removeAddress(a, n),
    addRoute: (r: never, n?: string) => mgr.addRoute(r, n),
    removeRoute: (r: never, n?: string) => mgr.removeRoute(r, n),
    addRule: (r: never) => mgr.addRule(r),
    removeRule: (r: never) => mgr.removeRule(r),
    createMacvlan: (n: string, p: string, m: string) => mgr.createMacvlan(n, p, m),
    deleteLink: (n: string) => mgr.deleteLink(n),
    setLinkUp: (n: string, up: boolean) => mgr.setLinkUp(n, up),
    subscribe: () => {
      mgr.onLink((event: LinkEvent) => out({ event }));
      return true;
    },
    subscribeChanges: () => {
      mgr.onAddress((e) => out({ change: { kind: 'address', ...e } }));
      mgr.onRoute((e) => out({ change: { kind: 'route', ...e } }));
      mgr.onRule((e) => out({ change: { kind: 'rule', ...e } }));
      return true;
    },
    /** Add or remove `count` VIPs concurrently (or one after another); timed here, without the pipe. */
    bulk: async (op: 'add' | 'remove', count: number, ifname: string, serial = false) => {
      const vips = manyVips(count);
      const one = (v: AddressEntry): Promise<boolean> => (op === 'add' ? mgr.addAddress(v, ifname) : mgr.removeAddress(v, ifname));
      const t0 = process.hrtime.bigint();
      let r: boolean[] = [];
      if (serial) for (const v of vips) r.push(await one(v));
      else r = await Promise.all(vips.map(one));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      return { ms, changed: r.filter(Boolean).length };
    },
    setupVmac: (o: never) => setupVmac(mgr, o),
    teardownVmac: (o: never) => teardownVmac(mgr, o),
  };
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const { id, method, args } = JSON.parse(line) as { id: number; method: string; args: never[] };
    const fn = methods[method];
    if (!fn) {
      out({ id, error: `no method ${method}` });
      return;
    }
    Promise.resolve()
      .then(() => fn(...args))
      .then((result) => out({ id, result: result ?? null }), (e: Error) => out({ id, error: e.message }));
  });
  rl.on('close', () => {
    mgr.close();
  });
}

/** The test side: an agent process in namespace `ns`. */
export class Agent {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly events: LinkEvent[] = [];
  /** Address, route and rule notifications: { kind, type, address | route | rule }. */
  readonly changes: Change[] = [];
  private eventWaiters: (() => void)[] = [];
  stderr = '';

  constructor(ns: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--serve'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A write after the agent died is reported through the exit handler, not as a crash.
    this.child.stdin!.on('error', () => undefined);
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { id?: number; result?: unknown; error?: string; event?: LinkEvent; change?: Change };
      if (m.event || m.change) {
        if (m.event) this.events.push(m.event);
        if (m.change) this.changes.push(m.change);
        for (const w of this.eventWaiters.splice(0)) w();
        return;
      }
      const c = this.calls.get(m.id!);
      if (!c) return;
      this.calls.delete(m.id!);
      if (m.error !== undefined) c.reject(new Error(m.error));
      else c.resolve(m.result);
    });
    this.child.on('exit', (code) => {
      for (const c of this.calls.values()) c.reject(new Error(`agent exited (${code}): ${this.stderr}`));
      this.calls.clear();
    });
  }

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.reject(new Error(`agent is not running: ${this.stderr}`));
    }
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(JSON.stringify({ id, method, args }) + '\n');
    });
  }

  /** Wait until a link event matching `pred` has arrived (events are kept from subscribe on). */
  waitEvent(pred: (e: LinkEvent) => boolean, timeoutMs = 5000): Promise<LinkEvent> {
    return this.waitIn(this.events, pred, timeoutMs);
  }

  /** Wait until an address/route/rule notification matching `pred` has arrived. */
  waitChange(pred: (e: Change) => boolean, timeoutMs = 5000): Promise<Change> {
    return this.waitIn(this.changes, pred, timeoutMs);
  }

  private async waitIn<T>(list: T[], pred: (e: T) => boolean, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = list.find(pred);
      if (e) return e;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(list)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.eventWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Close stdin (the agent closes its sockets and exits); kill it by pid if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const t = setTimeout(() => {
      if (this.child.pid) {
        try {
          process.kill(this.child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, 3000);
    await exited;
    clearTimeout(t);
  }
}

if (process.argv.includes('--serve')) void serve();
