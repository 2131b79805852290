// Runs keel's VRRP sockets and GARP sender inside a network namespace for the netns tests: a
// socket belongs to the namespace of the process that opens it, and node cannot setns(), so the
// tests start this file with `ip netns exec NS node net-agent.js` and talk to it in JSON lines:
//   stdin  {"id":1,"method":"open","args":["s1",{family,interface,groups}]}
//   stdout {"id":1,"result":...} | {"id":1,"error":"...","code":"ENODEV"}
//          {"event":"packet","socket":"s1",...} | {"event":"error","socket":"s1",...}
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { VrrpSocket, VrrpSocketOptions } from '../../src/net/ports.js';
import { openVrrpSocket } from '../../src/net/vrrp-socket.js';
import { PacketGarpSender, interfaceFacts, type AnnounceOptions } from '../../src/net/garp.js';
import { formatMac } from '../../src/net/arp-frame.js';

export interface PacketEvent {
  event: 'packet';
  socket: string;
  family: 'inet' | 'inet6';
  hex: string;
  withIpHeader: boolean;
  src: string;
  dst: string;
  ttl: number;
  ifindex: number;
}

export interface ErrorEvent {
  event: 'error';
  socket: string;
  message: string;
  code?: string;
}

export type AgentEvent = PacketEvent | ErrorEvent;

async function serve(): Promise<void> {
  const sockets = new Map<string, VrrpSocket>();
  const garp = new PacketGarpSender();
  const out = (o: unknown): void => {
    process.stdout.write(JSON.stringify(o) + '\n');
  };
  const get = (name: string): VrrpSocket => {
    const s = sockets.get(name);
    if (!s) throw new Error(`no socket ${name}`);
    return s;
  };
  const methods: Record<string, (...args: never[]) => unknown> = {
    open: (name: string, options: VrrpSocketOptions) => {
      const s = openVrrpSocket(options);
      sockets.set(name, s);
      s.onPacket((p) => out({
        event: 'packet', socket: name, family: p.family, hex: Buffer.from(p.data).toString('hex'),
        withIpHeader: p.withIpHeader, src: p.src, dst: p.dst, ttl: p.ttl, ifindex: p.ifindex,
      }));
      s.onError((e) => out({ event: 'error', socket: name, message: e.message, code: (e as { code?: string }).code }));
      return true;
    },
    send: async (name: string, hex: string, dst: string, opts?: { src?: string; ttl?: number }) => {
      await get(name).send(new Uint8Array(Buffer.from(hex, 'hex')), dst, opts);
      return true;
    },
    close: (name: string) => {
      get(name).close();
      sockets.delete(name);
      return true;
    },
    /** announce() timed here, without the pipe. */
    announce: async (iface: string, mac: string | null, addresses: string[], repeat: number, opts?: AnnounceOptions) => {
      const t0 = process.hrtime.bigint();
      const r = await garp.send(iface, mac ?? undefined, addresses, repeat, opts);
      return { sent: r.sent, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    },
    /** announce() with `count` generated IPv4 addresses from `base` (a.b.0.0) up. */
    announceMany: async (iface: string, base: string, count: number, repeat: number) => {
      const [p, q] = base.split('.');
      const addrs = Array.from({ length: count }, (_, i) => `${p}.${q}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
      const t0 = process.hrtime.bigint();
      const r = await garp.send(iface, undefined, addrs, repeat);
      return { sent: r.sent, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    },
    mac: (iface: string) => {
      const f = interfaceFacts(iface);
      return f.mac ? formatMac(f.mac) : null;
    },
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
      .then((result) => out({ id, result: result ?? null }), (e: Error & { code?: string }) => out({ id, error: e.message, code: e.code }));
  });
  rl.on('close', () => {
    for (const s of sockets.values()) s.close();
    garp.close();
  });
  out({ ready: true });
}

export class AgentError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}

/** The test side: an agent process in namespace `ns`. */
export class NetAgent {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly events: AgentEvent[] = [];
  private waiters: (() => void)[] = [];
  private readyPromise: Promise<void>;
  stderr = '';

  constructor(readonly ns: string) {
    const script = fileURLToPath(import.meta.url);
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    let ready: () => void = () => {};
    this.readyPromise = new Promise((r) => { ready = r; });
    const rl = createInterface({ input: this.child.stdout! });
    rl.on('line', (line) => {
      let msg: { id?: number; result?: unknown; error?: string; code?: string; event?: string; ready?: boolean };
      try {
        msg = JSON.parse(line);
      } catch {
        this.stderr += `${line}\n`;
        return;
      }
      if (msg.ready) ready();
      else if (msg.event) {
        this.events.push(msg as unknown as AgentEvent);
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      } else if (msg.id !== undefined) {
        const c = this.calls.get(msg.id);
        this.calls.delete(msg.id);
        if (msg.error !== undefined) c?.reject(new AgentError(msg.error, msg.code));
        else c?.resolve(msg.result);
      }
    });
    this.child.on('exit', () => {
      for (const c of this.calls.values()) c.reject(new Error(`agent in ${ns} exited: ${this.stderr}`));
      this.calls.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(JSON.stringify({ id, method, args }) + '\n');
    });
  }

  packets(socket: string): PacketEvent[] {
    return this.events.filter((e): e is PacketEvent => e.event === 'packet' && e.socket === socket);
  }

  /** The first event matching `pred` (already seen or still to come), or an error after `ms`. */
  waitFor<E extends AgentEvent>(pred: (e: AgentEvent) => e is E, ms: number, what: string): Promise<E>;
  waitFor(pred: (e: AgentEvent) => boolean, ms: number, what: string): Promise<AgentEvent>;
  waitFor(pred: (e: AgentEvent) => boolean, ms: number, what: string): Promise<AgentEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms in ${this.ns}${this.stderr ? `: ${this.stderr}` : ''}`)), ms);
      const check = (): void => {
        const e = this.events.find(pred);
        if (e) {
          clearTimeout(timer);
          resolve(e);
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  /** The first packet matching `pred`, seen already or still to come. */
  waitPacket(pred: (p: PacketEvent) => boolean, ms: number, what: string): Promise<PacketEvent> {
    return this.waitFor((e): e is PacketEvent => e.event === 'packet' && pred(e), ms, what);
  }

  /** Close stdin (the agent closes its sockets) and kill it by pid if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end();
    const t = setTimeout(() => { if (this.child.pid) try { process.kill(this.child.pid, 'SIGKILL'); } catch { /* gone */ } }, 2000);
    await exited;
    clearTimeout(t);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // The agent exits when the test closes its stdin (readline's close ends the sockets).
  void serve();
}
