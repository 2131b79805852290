// An in-memory IPVS that answers like the kernel's (EEXIST for a duplicate, ESRCH for a missing
// service, ENOENT for a missing destination or scheduler), for tests of what sits above the
// client. The kernel one is tested against the real ip_vs in the test VM.
import { CMD, type IpvsCmd, type IpvsInfo, type IpvsTimeouts, type KernelDest, type KernelService, type SyncDaemon } from './codec.js';
import { describeCommand, IpvsError, type IpvsClient, type KernelServiceEntry, type KernelTable } from './client.js';
import type { IpvsDest, IpvsService, ServiceKey } from './table.js';
import { serviceId } from './reconcile.js';

const KNOWN_SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos']);
const ERRNO = { EEXIST: 17, ENOENT: 2, ESRCH: 3 } as const;

function fail(what: string, code: keyof typeof ERRNO): never {
  throw new IpvsError(what, ERRNO[code], code);
}

export class MemoryIpvs implements IpvsClient {
  #services = new Map<string, KernelServiceEntry>();
  #timeouts: IpvsTimeouts = { tcp: 900, tcpfin: 120, udp: 300 };
  #daemons: SyncDaemon[] = [];
  #changes = 0;
  /** Every command received, in order (for tests). */
  readonly log: string[] = [];

  get changes(): number {
    return this.#changes;
  }
  close(): void {}

  async listServices(): Promise<KernelService[]> {
    return [...this.#services.values()].map(({ dests: _d, ...s }) => ({ ...s }));
  }
  async listDests(key: ServiceKey): Promise<KernelDest[]> {
    const s = this.#services.get(serviceId(key));
    if (!s) fail(describeCommand(CMD.GET_DEST, key), 'ESRCH');
    return s.dests.map((d) => ({ ...d }));
  }
  async dump(): Promise<KernelTable> {
    return { services: [...this.#services.values()].map((s) => ({ ...s, dests: s.dests.map((d) => ({ ...d })) })) };
  }
  async addService(s: Omit<IpvsService, 'dests'>): Promise<void> {
    this.#changes++;
    this.log.push(`addService ${serviceId(s.key)}`);
    const id = serviceId(s.key);
    if (!KNOWN_SCHEDULERS.has(s.scheduler)) fail(describeCommand(CMD.NEW_SERVICE, s.key), 'ENOENT');
    if (this.#services.has(id)) fail(describeCommand(CMD.NEW_SERVICE, s.key), 'EEXIST');
    this.#services.set(id, { ...s, dests: [] });
  }
  async editService(s: Omit<IpvsService, 'dests'>): Promise<void> {
    this.#changes++;
    this.log.push(`editService ${serviceId(s.key)}`);
    const cur = this.#services.get(serviceId(s.key));
    if (!cur) fail(describeCommand(CMD.SET_SERVICE, s.key), 'ESRCH');
    const { pe: _pe, ...rest } = cur;
    this.#services.set(serviceId(s.key), { ...rest, ...s, dests: cur.dests });
  }
  async delService(key: ServiceKey): Promise<void> {
    this.#changes++;
    this.log.push(`delService ${serviceId(key)}`);
    if (!this.#services.delete(serviceId(key))) fail(describeCommand(CMD.DEL_SERVICE, key), 'ESRCH');
  }
  #svc(cmd: IpvsCmd, key: ServiceKey, d: Pick<IpvsDest, 'family' | 'address' | 'port'>): KernelServiceEntry {
    const s = this.#services.get(serviceId(key));
    if (!s) fail(describeCommand(cmd, key, d), 'ESRCH');
    return s;
  }
  #find(s: KernelServiceEntry, d: Pick<IpvsDest, 'family' | 'address' | 'port'>): number {
    return s.dests.findIndex((x) => x.family === d.family && x.address === d.address && x.port === d.port);
  }
  async addDest(key: ServiceKey, d: IpvsDest): Promise<void> {
    this.#changes++;
    this.log.push(`addDest ${serviceId(key)} ${d.address}:${d.port} w${d.weight}`);
    const s = this.#svc(CMD.NEW_DEST, key, d);
    if (this.#find(s, d) !== -1) fail(describeCommand(CMD.NEW_DEST, key, d), 'EEXIST');
    s.dests.push({ ...d, activeConns: 0, inactConns: 0, persistConns: 0 });
  }
  async editDest(key: ServiceKey, d: IpvsDest): Promise<void> {
    this.#changes++;
    this.log.push(`editDest ${serviceId(key)} ${d.address}:${d.port} w${d.weight}`);
    const s = this.#svc(CMD.SET_DEST, key, d);
    const i = this.#find(s, d);
    if (i === -1) fail(describeCommand(CMD.SET_DEST, key, d), 'ENOENT');
    s.dests[i] = { ...d, activeConns: 0, inactConns: 0, persistConns: 0 };
  }
  async delDest(key: ServiceKey, d: Pick<IpvsDest, 'family' | 'address' | 'port'>): Promise<void> {
    this.#changes++;
    this.log.push(`delDest ${serviceId(key)} ${d.address}:${d.port}`);
    const s = this.#svc(CMD.DEL_DEST, key, d);
    const i = this.#find(s, d);
    if (i === -1) fail(describeCommand(CMD.DEL_DEST, key, d), 'ENOENT');
    s.dests.splice(i, 1);
  }
  async flush(): Promise<void> {
    this.#changes++;
    this.log.push('flush');
    this.#services.clear();
  }
  async getTimeouts(): Promise<IpvsTimeouts> {
    return { ...this.#timeouts };
  }
  async setTimeouts(t: Partial<IpvsTimeouts>): Promise<void> {
    this.log.push('setTimeouts');
    if (t.tcp) this.#timeouts.tcp = t.tcp;
    if (t.tcpfin) this.#timeouts.tcpfin = t.tcpfin;
    if (t.udp) this.#timeouts.udp = t.udp;
  }
  async startDaemon(d: SyncDaemon): Promise<void> {
    this.log.push(`startDaemon ${d.state}`);
    if (this.#daemons.some((x) => x.state === d.state)) fail(describeCommand(CMD.NEW_DAEMON), 'EEXIST');
    this.#daemons.push({ ...d });
  }
  async stopDaemon(state: SyncDaemon['state']): Promise<void> {
    this.log.push(`stopDaemon ${state}`);
    const i = this.#daemons.findIndex((x) => x.state === state);
    if (i === -1) fail(describeCommand(CMD.DEL_DAEMON), 'ESRCH');
    this.#daemons.splice(i, 1);
  }
  async listDaemons(): Promise<SyncDaemon[]> {
    return this.#daemons.map((d) => ({ ...d }));
  }
  async getInfo(): Promise<IpvsInfo> {
    return { version: 0x010201, connTabSize: 4096 };
  }
}
