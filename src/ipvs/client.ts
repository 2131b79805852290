// The IPVS client: generic netlink to the kernel's ip_vs, through the `netlink` package's socket.
// Payloads are built and read by codec.ts; this file only sends, waits and names errors.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { createGenericNetlink, formatGenlHeader, formatMessage, genl, parseError, type GenericNetlinkSocket, type NetlinkMessage } from 'netlink';
import {
  CMD, IPVS_GENL_NAME, IPVS_GENL_VERSION, ATTR, attrMap, decodeDaemon, decodeDest, decodeInfo, decodeService, decodeTimeouts,
  encodeDaemon, encodeDest, encodeService, encodeServiceKey, encodeTimeouts,
  type IpvsCmd, type IpvsInfo, type IpvsTimeouts, type KernelDest, type KernelService, type SyncDaemon,
} from './codec.js';
import { destKeyText, serviceKeyText, type IpvsDest, type IpvsService, type ServiceKey } from './table.js';

/** A service and its destinations as the kernel has them. */
export interface KernelServiceEntry extends KernelService {
  dests: KernelDest[];
}
export interface KernelTable {
  services: KernelServiceEntry[];
}

/** What the reconciler and the CLI need from IPVS; the kernel one is below, an in-memory one in memory.ts. */
export interface IpvsClient {
  listServices(): Promise<KernelService[]>;
  listDests(key: ServiceKey): Promise<KernelDest[]>;
  /** Every service with its destinations. */
  dump(): Promise<KernelTable>;
  addService(s: Omit<IpvsService, 'dests'>): Promise<void>;
  editService(s: Omit<IpvsService, 'dests'>): Promise<void>;
  delService(key: ServiceKey): Promise<void>;
  addDest(key: ServiceKey, d: IpvsDest): Promise<void>;
  editDest(key: ServiceKey, d: IpvsDest): Promise<void>;
  delDest(key: ServiceKey, d: Pick<IpvsDest, 'family' | 'address' | 'port'>): Promise<void>;
  flush(): Promise<void>;
  getTimeouts(): Promise<IpvsTimeouts>;
  /** A value of 0 (or absent) leaves that timeout unchanged. */
  setTimeouts(t: Partial<IpvsTimeouts>): Promise<void>;
  startDaemon(d: SyncDaemon): Promise<void>;
  stopDaemon(state: SyncDaemon['state']): Promise<void>;
  listDaemons(): Promise<SyncDaemon[]>;
  getInfo(): Promise<IpvsInfo>;
  /**
   * Many changes at once (the reconciler's phases): each command's error, or undefined when the
   * kernel accepted it. Optional: without it the reconciler sends the commands one by one.
   */
  changeMany?(cmds: readonly Change[]): Promise<(Error | undefined)[]>;
  /** Commands that change the kernel's table, sent so far (for tests and benchmarks). */
  readonly changes: number;
  close(): void;
}

/** One table change for changeMany(). */
export type Change =
  | { op: 'addService' | 'editService'; service: Omit<IpvsService, 'dests'> }
  | { op: 'delService'; key: ServiceKey }
  | { op: 'addDest' | 'editDest'; key: ServiceKey; dest: IpvsDest }
  | { op: 'delDest'; key: ServiceKey; dest: Pick<IpvsDest, 'family' | 'address' | 'port'> };

/** A kernel refusal, naming what was asked: "IPVS: cannot add destination 10.0.1.1:80 to TCP 10.0.0.1:80: File exists (EEXIST)". */
export class IpvsError extends Error {
  constructor(readonly what: string, readonly errno: number, readonly code: string) {
    super(`IPVS: cannot ${what}: ${describeErrno(code)} (${code})`);
    this.name = 'IpvsError';
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EEXIST: 'File exists', ENOENT: 'No such file or directory', ESRCH: 'No such process', EINVAL: 'Invalid argument',
  EPERM: 'Operation not permitted', EBUSY: 'Device or resource busy', ENOMEM: 'Cannot allocate memory',
  EAFNOSUPPORT: 'Address family not supported by protocol', EOPNOTSUPP: 'Operation not supported', ENODEV: 'No such device',
};
function describeErrno(code: string): string {
  return ERRNO_TEXT[code] ?? code;
}
function errnoName(errno: number): string {
  for (const [k, v] of Object.entries(constants.errno)) if (v === errno) return k;
  return `errno ${errno}`;
}

/** What a command was about, for its error message (ipvsadm-like wording). */
export function describeCommand(cmd: IpvsCmd, key?: ServiceKey, dest?: Pick<IpvsDest, 'family' | 'address' | 'port'>): string {
  const s = key ? serviceKeyText(key) : '';
  const d = dest ? destKeyText(dest) : '';
  switch (cmd) {
    case CMD.NEW_SERVICE: return `add service ${s}`;
    case CMD.SET_SERVICE: return `edit service ${s}`;
    case CMD.DEL_SERVICE: return `delete service ${s}`;
    case CMD.NEW_DEST: return `add destination ${d} to ${s}`;
    case CMD.SET_DEST: return `edit destination ${d} of ${s}`;
    case CMD.DEL_DEST: return `delete destination ${d} from ${s}`;
    case CMD.GET_DEST: return `list destinations of ${s}`;
    case CMD.GET_SERVICE: return 'list services';
    case CMD.FLUSH: return 'flush the table';
    case CMD.NEW_DAEMON: return 'start the sync daemon';
    case CMD.DEL_DAEMON: return 'stop the sync daemon';
    case CMD.GET_DAEMON: return 'list sync daemons';
    case CMD.SET_CONFIG: return 'set timeouts';
    case CMD.GET_CONFIG: return 'read timeouts';
    case CMD.GET_INFO: return 'read IPVS info';
    default: return `run IPVS command ${cmd}`;
  }
}

const NLM_F_DUMP = 0x300;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;

interface Pending {
  seq: number;
  cmd: IpvsCmd;
  payload: Buffer[];
  /** What the command was about, for its error (made only when there is one). */
  what: string | (() => string);
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * A sendmsg's share of a changeMany(): netlink refuses a message larger than the socket's send
 * buffer (EMSGSIZE), which net.core.wmem_max caps at ~208 KB whatever keel asks for.
 */
const MANY_CHUNK_BYTES = 64 * 1024;

/** A change's command and payload (encoded by codec.ts) and its description for errors. */
function changeMessage(c: Change): { cmd: IpvsCmd; payload: Buffer[]; what: () => string } {
  switch (c.op) {
    case 'addService': return { cmd: CMD.NEW_SERVICE, payload: [encodeService(c.service)], what: () => describeCommand(CMD.NEW_SERVICE, c.service.key) };
    case 'editService': return { cmd: CMD.SET_SERVICE, payload: [encodeService(c.service)], what: () => describeCommand(CMD.SET_SERVICE, c.service.key) };
    case 'delService': return { cmd: CMD.DEL_SERVICE, payload: [encodeServiceKey(c.key)], what: () => describeCommand(CMD.DEL_SERVICE, c.key) };
    case 'addDest': return { cmd: CMD.NEW_DEST, payload: [encodeServiceKey(c.key), encodeDest(c.dest)], what: () => describeCommand(CMD.NEW_DEST, c.key, c.dest) };
    case 'editDest': return { cmd: CMD.SET_DEST, payload: [encodeServiceKey(c.key), encodeDest(c.dest)], what: () => describeCommand(CMD.SET_DEST, c.key, c.dest) };
    case 'delDest': {
      const full: IpvsDest = { ...c.dest, method: 'NAT', weight: 0, uthreshold: 0, lthreshold: 0 };
      return { cmd: CMD.DEL_DEST, payload: [encodeServiceKey(c.key), encodeDest(full, false)], what: () => describeCommand(CMD.DEL_DEST, c.key, c.dest) };
    }
  }
}
const NLMSG_ERROR = 2;
const GENL_HDRLEN = 4;

export interface NetlinkIpvsOptions {
  /** Requests in flight at once (default 256; the kernel handles them in order and acks each). */
  window?: number;
  /** Try `modprobe ip_vs` when the family is missing, as keepalived does (default true). */
  modprobe?: boolean;
}

/** Open the kernel's IPVS: resolve the IPVS generic-netlink family (loading ip_vs when needed). */
export async function openIpvs(opts: NetlinkIpvsOptions = {}): Promise<NetlinkIpvs> {
  const sock = createGenericNetlink({ recvBufferSize: 4 << 20, sendBufferSize: 1 << 20 });
  try {
    let family: number | undefined;
    try {
      family = await resolveFamily(sock);
    } catch (e) {
      if (opts.modprobe === false) throw e;
      spawnSync('modprobe', ['ip_vs'], { stdio: 'ignore' });
      family = await resolveFamily(sock);
    }
    return new NetlinkIpvs(sock, family, opts.window ?? 256);
  } catch (e) {
    sock.socket.close();
    throw e;
  }
}

async function resolveFamily(sock: GenericNetlinkSocket): Promise<number> {
  let replies: genl.Message[];
  try {
    replies = await sock.ctrlRequest(genl.Commands.GET_FAMILY, { familyName: IPVS_GENL_NAME }, { flags: 0 });
  } catch (e) {
    throw new Error(`IPVS is not available: the kernel has no generic netlink family ${IPVS_GENL_NAME} (is the ip_vs module loaded?) - ${(e as Error).message}`);
  }
  const id = replies[0]?.familyId;
  if (id === undefined) throw new Error(`IPVS is not available: no id for generic netlink family ${IPVS_GENL_NAME}`);
  return id;
}

/** The kernel's IPVS over one generic-netlink socket. */
export class NetlinkIpvs implements IpvsClient {
  #changes = 0;
  #inflight = 0;
  #dumping = false;
  #waiters: { dump: boolean; go: () => void }[] = [];
  #outbox: Pending[] = [];
  #acks = new Map<number, Pending>();
  #flushQueued = false;
  #listening = false;
  #head = 0;

  constructor(private readonly sock: GenericNetlinkSocket, readonly family: number, private readonly window: number) {}

  get changes(): number {
    return this.#changes;
  }

  close(): void {
    this.sock.socket.close();
  }

  /**
   * Admission, first come first served: up to `window` plain requests at once; a dump runs alone,
   * because the `netlink` package reassembles one multipart reply at a time and the kernel
   * allows one dump per socket.
   */
  #acquire(dump: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiters.push({ dump, go: resolve });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head]!;
      const free = next.dump ? this.#inflight === 0 : !this.#dumping && this.#inflight < this.window;
      if (!free) return;
      // A head index instead of shift(): plans of tens of thousands of commands queue here.
      this.#head++;
      if (this.#head === this.#waiters.length) { this.#waiters = []; this.#head = 0; }
      if (next.dump) this.#dumping = true;
      this.#inflight++;
      next.go();
    }
  }

  #release(dump: boolean): void {
    if (dump) this.#dumping = false;
    this.#inflight--;
    this.#pump();
  }

  /** Send one command; resolves with the payloads of the reply messages (none for a bare ack). */
  async #call(cmd: IpvsCmd, payload: Buffer[], what: string, dump = false): Promise<Buffer[]> {
    await this.#acquire(dump);
    try {
      // The plain netlink socket, not GenericNetlinkSocket.request(): that one throws on an
      // error reply before we can read its errno.
      const header = formatGenlHeader({ cmd, version: IPVS_GENL_VERSION });
      const [msgs] = await this.sock.socket.request(this.family, [header, ...payload], { flags: dump ? NLM_F_DUMP : 0, checkError: false });
      const out: Buffer[] = [];
      for (const m of msgs) {
        if (m.type === NLMSG_ERROR) {
          const { errno } = parseError(m.data, m.flags);
          if (errno !== 0) {
            const n = Math.abs(errno);
            throw new IpvsError(what, n, errnoName(n));
          }
          continue;
        }
        if (m.type !== this.family) throw new Error(`unexpected reply of type ${m.type}`);
        out.push(m.data.subarray(GENL_HDRLEN));
      }
      return out;
    } catch (e) {
      if (e instanceof IpvsError) throw e;
      throw new Error(`IPVS: cannot ${what}: ${(e as Error).message}`);
    } finally {
      this.#release(dump);
    }
  }

  /**
   * A command that changes the table. These are batched: every change queued in the same turn
   * of the event loop goes to the kernel in one sendmsg (the kernel runs the messages of a
   * buffer one by one and acks each), which saves a system call and a wake-up per command on
   * tables of tens of thousands of entries. The window still bounds what is in flight.
   */
  async #change(cmd: IpvsCmd, payload: Buffer[], what: string): Promise<void> {
    this.#changes++;
    await this.#acquire(false);
    try {
      await new Promise<void>((resolve, reject) => {
        const seq = this.sock.socket.generateSeq();
        this.#outbox.push({ seq, cmd, payload, what, resolve, reject });
        if (!this.#flushQueued) {
          this.#flushQueued = true;
          setImmediate(() => this.#flush());
        }
      });
    } finally {
      this.#release(false);
    }
  }

  /**
   * Many changes without an ack each: the kernel runs a socket's messages in order and, for a
   * message that does not ask for an ack, answers only when it fails; the last message asks for
   * one, so its answer means every command before it has run. 30,000 destinations then cost
   * ~120 sendmsg calls and the failures' answers, not 30,000 acks to read and 30,000 promises.
   */
  async changeMany(cmds: readonly Change[]): Promise<(Error | undefined)[]> {
    const out: (Error | undefined)[] = new Array<Error | undefined>(cmds.length).fill(undefined);
    if (!cmds.length) return out;
    this.#changes += cmds.length;
    await this.#acquire(false);
    const seqs: number[] = [];
    try {
      this.#listen();
      const port = this.sock.socket.address().port;
      const last = cmds.length - 1;
      let lastDone!: () => void;
      const done = new Promise<void>((resolve) => { lastDone = resolve; });
      let chunk: Uint8Array[] = [];
      let size = 0;
      let first = 0;
      for (let i = 0; i < cmds.length; i++) {
        const m = changeMessage(cmds[i]!);
        const seq = this.sock.socket.generateSeq();
        seqs.push(seq);
        this.#acks.set(seq, {
          seq, cmd: m.cmd, payload: [], what: m.what,
          resolve: i === last ? lastDone : () => undefined,
          reject: (e) => { out[i] = e; if (i === last) lastDone(); },
        });
        const parts = formatMessage({ type: this.family, flags: NLM_F_REQUEST | (i === last ? NLM_F_ACK : 0), seq, port, data: [formatGenlHeader({ cmd: m.cmd, version: IPVS_GENL_VERSION }), ...m.payload] });
        for (const b of parts) { chunk.push(b); size += b.length; }
        if (size >= MANY_CHUNK_BYTES || i === last) {
          // One buffer: the package sends each array item as an iovec, and sendmsg takes at most 1,024.
          const err = await this.#sendRaw([Buffer.concat(chunk, size)]);
          if (err) {
            // Not sent: these commands failed, and no answer will come for them.
            for (let j = first; j <= i; j++) out[j] = new Error(`IPVS: cannot ${changeMessage(cmds[j]!).what()}: ${err.message}`);
            if (i === last) lastDone();
          }
          chunk = [];
          size = 0;
          first = i + 1;
        }
      }
      await done;
    } finally {
      for (const s of seqs) this.#acks.delete(s);
      this.#maybeUnref();
      this.#release(false);
    }
    return out;
  }

  #listen(): void {
    if (!this.#listening) {
      this.#listening = true;
      this.sock.socket.on('message', (msgs) => this.#onAck(msgs));
    }
    // Keep the socket referenced while answers are due (the netlink package unrefs it when its
    // own requests are done).
    this.sock.socket.ref(true);
  }

  #sendRaw(data: Uint8Array[]): Promise<Error | undefined> {
    return new Promise((resolve) => this.sock.socket.socket.send(data, {}, (err) => resolve(err ?? undefined)));
  }

  #flush(): void {
    this.#flushQueued = false;
    const batch = this.#outbox;
    this.#outbox = [];
    if (!batch.length) return;
    this.#listen();
    const port = this.sock.socket.address().port;
    const data: Uint8Array[] = [];
    for (const m of batch) {
      this.#acks.set(m.seq, m);
      data.push(...formatMessage({ type: this.family, flags: NLM_F_REQUEST | NLM_F_ACK, seq: m.seq, port, data: [formatGenlHeader({ cmd: m.cmd, version: IPVS_GENL_VERSION }), ...m.payload] }));
    }
    this.sock.socket.socket.send(data, {}, (err) => {
      if (!err) return;
      for (const m of batch) {
        if (this.#acks.delete(m.seq)) m.reject(new Error(`IPVS: cannot ${m.what}: ${err.message}`));
      }
      this.#maybeUnref();
    });
  }

  /** Acks (or refusals) of batched changes; other messages belong to the netlink package's requests. */
  #onAck(msgs: NetlinkMessage[]): void {
    for (const m of msgs) {
      if (m.type !== NLMSG_ERROR) continue;
      const p = this.#acks.get(m.seq);
      if (!p) continue;
      this.#acks.delete(m.seq);
      const { errno } = parseError(m.data, m.flags);
      if (errno === 0) p.resolve();
      else {
        const n = Math.abs(errno);
        p.reject(new IpvsError(typeof p.what === 'string' ? p.what : p.what(), n, errnoName(n)));
      }
    }
    this.#maybeUnref();
  }

  #maybeUnref(): void {
    if (!this.#acks.size && !this.#outbox.length) this.sock.socket.ref(false);
  }

  async listServices(): Promise<KernelService[]> {
    const msgs = await this.#call(CMD.GET_SERVICE, [], describeCommand(CMD.GET_SERVICE), true);
    return msgs.map((b) => decodeService(need(attrMap(b), ATTR.SERVICE)));
  }

  async listDests(key: ServiceKey): Promise<KernelDest[]> {
    const msgs = await this.#call(CMD.GET_DEST, [encodeServiceKey(key)], describeCommand(CMD.GET_DEST, key), true);
    return msgs.map((b) => decodeDest(need(attrMap(b), ATTR.DEST), key.family));
  }

  async dump(): Promise<KernelTable> {
    const services = await this.listServices();
    const out: KernelServiceEntry[] = [];
    for (const s of services) out.push({ ...s, dests: await this.listDests(s.key) });
    return { services: out };
  }

  addService(s: Omit<IpvsService, 'dests'>): Promise<void> {
    return this.#change(CMD.NEW_SERVICE, [encodeService(s)], describeCommand(CMD.NEW_SERVICE, s.key));
  }
  editService(s: Omit<IpvsService, 'dests'>): Promise<void> {
    return this.#change(CMD.SET_SERVICE, [encodeService(s)], describeCommand(CMD.SET_SERVICE, s.key));
  }
  delService(key: ServiceKey): Promise<void> {
    return this.#change(CMD.DEL_SERVICE, [encodeServiceKey(key)], describeCommand(CMD.DEL_SERVICE, key));
  }
  addDest(key: ServiceKey, d: IpvsDest): Promise<void> {
    return this.#change(CMD.NEW_DEST, [encodeServiceKey(key), encodeDest(d)], describeCommand(CMD.NEW_DEST, key, d));
  }
  editDest(key: ServiceKey, d: IpvsDest): Promise<void> {
    return this.#change(CMD.SET_DEST, [encodeServiceKey(key), encodeDest(d)], describeCommand(CMD.SET_DEST, key, d));
  }
  delDest(key: ServiceKey, d: Pick<IpvsDest, 'family' | 'address' | 'port'>): Promise<void> {
    const full: IpvsDest = { ...d, method: 'NAT', weight: 0, uthreshold: 0, lthreshold: 0 };
    return this.#change(CMD.DEL_DEST, [encodeServiceKey(key), encodeDest(full, false)], describeCommand(CMD.DEL_DEST, key, d));
  }
  flush(): Promise<void> {
    return this.#change(CMD.FLUSH, [], describeCommand(CMD.FLUSH));
  }
  async getTimeouts(): Promise<IpvsTimeouts> {
    const [m] = await this.#call(CMD.GET_CONFIG, [], describeCommand(CMD.GET_CONFIG));
    return decodeTimeouts(m ?? Buffer.alloc(0));
  }
  async setTimeouts(t: Partial<IpvsTimeouts>): Promise<void> {
    await this.#call(CMD.SET_CONFIG, [encodeTimeouts(t)], describeCommand(CMD.SET_CONFIG));
  }
  async startDaemon(d: SyncDaemon): Promise<void> {
    await this.#call(CMD.NEW_DAEMON, [encodeDaemon(d)], `${describeCommand(CMD.NEW_DAEMON)} (${d.state}, ${d.interface}, id ${d.syncId})`);
  }
  async stopDaemon(state: SyncDaemon['state']): Promise<void> {
    await this.#call(CMD.DEL_DAEMON, [encodeDaemon({ state, interface: '', syncId: 0 }, false)], `${describeCommand(CMD.DEL_DAEMON)} (${state})`);
  }
  async listDaemons(): Promise<SyncDaemon[]> {
    const msgs = await this.#call(CMD.GET_DAEMON, [], describeCommand(CMD.GET_DAEMON), true);
    return msgs.map((b) => decodeDaemon(need(attrMap(b), ATTR.DAEMON)));
  }
  async getInfo(): Promise<IpvsInfo> {
    const [m] = await this.#call(CMD.GET_INFO, [], describeCommand(CMD.GET_INFO));
    return decodeInfo(m ?? Buffer.alloc(0));
  }
}

function need(m: Map<number, Buffer>, t: number): Buffer {
  const v = m.get(t);
  if (!v) throw new Error(`IPVS: kernel reply without attribute ${t}`);
  return v;
}
