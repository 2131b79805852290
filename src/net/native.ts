// Loads keel's N-API addon (native/keel_net.c, built by `npm run build`): the IPv6 VRRP socket,
// the packet socket for gratuitous ARP / NA, and interface facts. Loaded on first use, so a
// machine without it can still check configs and run IPv4 VRRP; what needs it gets a clear error.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque socket handle owned by the addon. */
export type NativeHandle = { readonly __native: unique symbol };

export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
  /** strerror() text alone ("Network is down"). */
  detail: string;
  interface?: string;
}

export type V6PacketCallback = (
  err: NativeError | null, data?: Buffer, src?: string, dst?: string | null, hopLimit?: number, ifindex?: number,
) => void;

export interface KeelNet {
  vrrp6Open(ifname: string, ifindex: number, protocol: number, groups: readonly string[], cb: V6PacketCallback): NativeHandle;
  vrrp6Send(h: NativeHandle, data: Uint8Array, dst: string, src: string | null, hopLimit: number | null): number;
  vrrp6Close(h: NativeHandle): void;
  /**
   * A non-blocking TCP connect (TCP_CHECK): the handle, or an errno when it failed at once. The
   * callback gets 0 when the connection completed (the socket is then closed) or the errno.
   */
  tcpProbe(address: string, port: number, bindAddress: string | null, bindPort: number, bindIf: string | null, mark: number,
    cb: (errno: number) => void): NativeHandle | number;
  /** Abandon a probe: its socket is closed and its callback never called. */
  tcpProbeCancel(h: NativeHandle): void;
  /**
   * HTTP_GET's exchange: connect as tcpProbe does, send `request`, read to EOF, with `timeoutMs`
   * for the connect and again for each write and read. The callback gets (kind, code, bytes):
   * EXCHANGE.DATA for each large run of bytes, then one final kind (END: code 0 at EOF or the
   * read's errno; CONNECT_FAILED / WRITE_FAILED: the errno; TIMEOUT: the phase, EXCHANGE_PHASE).
   */
  httpExchange(address: string, port: number, bindAddress: string | null, bindPort: number, bindIf: string | null, mark: number,
    request: Uint8Array, timeoutMs: number, cb: (kind: number, code: number, bytes: Buffer | undefined) => void): NativeHandle | number;
  /** Abandon an exchange: its socket is closed and its callback never called again. */
  httpExchangeCancel(h: NativeHandle): void;
  packetOpen(): NativeHandle;
  /** [frames sent, errno that stopped it or 0]. */
  packetSend(h: NativeHandle, ifindex: number, frames: readonly Uint8Array[], start: number): [number, number];
  packetClose(h: NativeHandle): void;
  interfaceInfo(name: string): { index: number; mac: Buffer | null; flags: number };
  /** An AF_UNIX datagram socket that sends log lines to `path` (/dev/log); the path need not exist yet. */
  syslogOpen(path: string): NativeHandle;
  /** Sends one datagram without blocking: 0, or the errno that dropped it (ENOENT, ECONNREFUSED, EAGAIN...). */
  syslogSend(h: NativeHandle, line: Uint8Array): number;
  syslogClose(h: NativeHandle): void;
  /** A timerfd on Node's loop: `callback` runs once per arming when the deadline passes. */
  timerOpen(callback: () => void): NativeHandle;
  /** Arm for CLOCK_MONOTONIC `deadlineUs` (process.hrtime's clock, µs); 0 disarms. */
  timerArm(h: NativeHandle, deadlineUs: number): void;
  timerClose(h: NativeHandle): void;
  /** setns() into a network namespace file (the calling thread; later threads and children inherit it). */
  enterNetns(path: string): void;
  /** SCHED_RR at 1..99, or back to SCHED_OTHER with 0. */
  setRealtime(priority: number): void;
  setRlimitRttime(usec: number): void;
  setAffinity(cpus: readonly number[]): void;
}

/** httpExchange's callback kinds (keel_net.c EXK_*). */
export const EXCHANGE = { DATA: 0, END: 1, CONNECT_FAILED: 2, WRITE_FAILED: 3, TIMEOUT: 4 } as const;
/** The phase a TIMEOUT happened in (keel_net.c EX_*). */
export const EXCHANGE_PHASE = { CONNECTING: 0, WRITING: 1, READING: 2 } as const;

/** The repository root: the nearest folder above this file with a package.json (dist/src/net -> ../../..). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

const ROOT = findRoot();

export const ADDON_PATHS = [
  join(ROOT, 'native', 'build', 'Release', 'keel_net.node'),
  join(ROOT, 'build', 'Release', 'keel_net.node'),
];

let cached: KeelNet | Error | undefined;

/** The addon, or a thrown Error saying how to build it. */
export function keelNet(): KeelNet {
  if (cached === undefined) cached = load();
  if (cached instanceof Error) throw cached;
  return cached;
}

/** Whether the addon loads (tests and `keel` report what is missing instead of failing later). */
export function keelNetError(): Error | undefined {
  try {
    keelNet();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

function load(): KeelNet | Error {
  const require = createRequire(import.meta.url);
  const path = ADDON_PATHS.find((p) => existsSync(p));
  if (!path) {
    return new Error(`keel's native addon is missing (${ADDON_PATHS[0]}): run \`npm run build\` ` +
      '(it needs python3, make, a C compiler and Node\'s headers); IPv6 VRRP and gratuitous ARP/NA need it');
  }
  try {
    return require(path) as KeelNet;
  } catch (e) {
    return new Error(`keel's native addon ${path} does not load (${(e as Error).message}): rebuild it with \`npm run build\``);
  }
}
