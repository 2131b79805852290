// The kernel VrrpTransport: one raw socket per interface and family, set up as keepalived sets
// up its VRRP sockets (vrrp.c open_vrrp_read_socket / open_vrrp_send_socket, vrrp_if.c
// if_setsockopt_* and if_join_vrrp_group), read and send on the same socket.
//
// IPv4 uses the raw-socket package: keel's encoder builds the whole IP packet (header included,
// as keepalived does), so it goes out with IP_HDRINCL, and what comes in starts with the IP
// header, which carries the TTL. IPv6 uses keel's addon (src/net/native.ts): the kernel strips
// the IPv6 header and only recvmsg() ancillary data says the hop limit and destination, which
// raw-socket cannot read.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { formatIPv4, isMulticast, parseAddress } from '../vrrp/ip.js';
import type { ReceivedPacket, VrrpSocket, VrrpSocketOptions, VrrpTransport } from './ports.js';
import { keelNet, keelNetError, type NativeError, type NativeHandle } from './native.js';

// Linux socket option numbers (raw-socket takes numbers; <netinet/in.h>, <asm-generic/socket.h>).
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_TOS = 1;
const IP_HDRINCL = 3;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_MULTICAST_ALL = 49;

const VRRP_TOS = 0xc0;
const MULTICAST_TTL = 255;
/** Packets kept while no handler is registered yet (open() resolves before onPacket() is called). */
const MAX_PENDING = 64;

/** A socket error naming the interface and the kernel's errno name. */
export class VrrpSocketError extends Error {
  constructor(message: string, readonly code: string, readonly iface: string) {
    super(message);
    this.name = 'VrrpSocketError';
  }
}

// ---------------------------------------------------------------------------------------------
// raw-socket, typed for what is used here (it has no type declarations)

interface RawSocket extends EventEmitter {
  /**
   * raw-socket's native handle. Its send() is a plain synchronous sendto(); the JS send() above it
   * queues the packet until the socket polls writable (one more event-loop turn), which put up to
   * ~5 ms of jitter on adverts. keel calls the native send directly when it is there.
   */
  wrap?: { send(buffer: Buffer, offset: number, length: number, address: string, cb: (bytes: number) => void): void };
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  send(buffer: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): void;
  close(): void;
}

interface RawSocketModule {
  createSocket(o: { protocol: number; addressFamily?: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
}

let rawModule: RawSocketModule | undefined;
function rawSocket(): RawSocketModule {
  rawModule ??= createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  return rawModule;
}

/** raw-socket reports errors as strerror() text only: find the errno name for it. */
function codeFromMessage(message: string): string {
  const m = message.toLowerCase();
  for (const [, [name, text]] of getSystemErrorMap()) if (text.toLowerCase() === m) return name;
  return 'EIO';
}

// ---------------------------------------------------------------------------------------------
// Interface facts

/** The interface's index in this process's network namespace, or a VrrpSocketError. */
export function interfaceIndex(name: string): number {
  if (!/^[^\s/]{1,15}$/.test(name)) throw new VrrpSocketError(`interface name "${name}" is not valid`, 'EINVAL', name);
  if (!keelNetError()) {
    try {
      return keelNet().interfaceInfo(name).index;
    } catch (e) {
      const err = e as NativeError;
      throw new VrrpSocketError(err.code === 'ENODEV' ? `interface ${name} does not exist` : err.message, err.code ?? 'EIO', name);
    }
  }
  // Without the addon: sysfs (right for this namespace when /sys was mounted in it, as
  // `ip netns exec` does).
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    throw new VrrpSocketError(`interface ${name} does not exist`, 'ENODEV', name);
  }
}

// ---------------------------------------------------------------------------------------------
// What both families share: handlers, pending packets, errors

abstract class BaseSocket implements VrrpSocket {
  private readonly packetHandlers: ((p: ReceivedPacket) => void)[] = [];
  private readonly errorHandlers: ((e: Error) => void)[] = [];
  private pending: ReceivedPacket[] = [];
  private pendingErrors: Error[] = [];
  protected closed = false;

  constructor(readonly options: VrrpSocketOptions, readonly ifindex: number) {}

  abstract send(packet: Uint8Array, dst: string, opts?: { src?: string; ttl?: number }): Promise<void>;
  protected abstract closeSocket(): void;

  onPacket(handler: (p: ReceivedPacket) => void): void {
    this.packetHandlers.push(handler);
    if (this.pending.length) {
      const queued = this.pending;
      this.pending = [];
      queueMicrotask(() => { for (const p of queued) this.deliver(p); });
    }
  }

  onError(handler: (e: Error) => void): void {
    this.errorHandlers.push(handler);
    if (this.pendingErrors.length) {
      const queued = this.pendingErrors;
      this.pendingErrors = [];
      queueMicrotask(() => { for (const e of queued) this.report(e); });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeSocket();
  }

  protected deliver(p: ReceivedPacket): void {
    if (this.closed) return;
    if (!this.packetHandlers.length) {
      if (this.pending.length < MAX_PENDING) this.pending.push(p);
      return;
    }
    for (const h of this.packetHandlers) {
      // A handler's bug must not stop the socket nor the other handlers.
      try { h(p); } catch (e) { this.report(e instanceof Error ? e : new Error(String(e))); }
    }
  }

  protected report(e: Error): void {
    if (!this.errorHandlers.length) {
      if (this.pendingErrors.length < MAX_PENDING) this.pendingErrors.push(e);
      return;
    }
    for (const h of this.errorHandlers) {
      try { h(e); } catch { /* an error handler that throws has nobody left to tell */ }
    }
  }

  protected error(what: string, code: string, detail: string): VrrpSocketError {
    const fam = this.options.family === 'inet' ? 'IPv4' : 'IPv6';
    return new VrrpSocketError(`VRRP ${fam} socket on ${this.options.interface}: ${what}: ${detail} (${code})`, code, this.options.interface);
  }
}

// ---------------------------------------------------------------------------------------------
// IPv4: raw-socket, IP_HDRINCL

class Ipv4Socket extends BaseSocket {
  private readonly raw: RawSocket;
  private dead: Error | undefined;
  private readonly inflight = new Set<() => void>();

  constructor(options: VrrpSocketOptions, ifindex: number, groups: Uint8Array[]) {
    super(options, ifindex);
    const mod = rawSocket();
    try {
      this.raw = mod.createSocket({ protocol: options.protocol ?? 112, addressFamily: mod.AddressFamily.IPv4, bufferSize: 65536 });
    } catch (e) {
      const msg = (e as Error).message;
      throw this.error('socket(AF_INET, SOCK_RAW)', codeFromMessage(msg), msg);
    }
    // An 'error' event without a listener would throw out of the event loop.
    this.raw.on('error', (e: Error) => this.report(this.error('receive', codeFromMessage(e.message), e.message)));
    this.raw.on('close', () => {
      // raw-socket closes the socket itself after a poll error.
      if (!this.closed) {
        this.dead = this.error('socket', 'EIO', 'closed after an error');
        this.report(this.dead);
      }
    });
    this.raw.on('message', (buf: Buffer) => this.receive(buf));
    try {
      this.configure(groups);
    } catch (e) {
      this.closed = true;
      this.raw.close();
      throw e;
    }
  }

  private setOpt(name: string, level: number, option: number, value: number | Buffer): void {
    try {
      if (typeof value === 'number') this.raw.setOption(level, option, value);
      else this.raw.setOption(level, option, value, value.length);
    } catch (e) {
      const msg = (e as Error).message;
      throw this.error(`setsockopt(${name})`, codeFromMessage(msg), msg);
    }
  }

  /** keepalived's options for its IPv4 read and send sockets, in its order. */
  private configure(groups: Uint8Array[]): void {
    const iface = this.options.interface;
    this.setOpt('IP_MULTICAST_ALL', IPPROTO_IP, IP_MULTICAST_ALL, 0);
    for (const g of groups) {
      // struct ip_mreqn with the ifindex: an ip_mreq (address only) fails with ENODEV in a netns.
      this.setOpt(`IP_ADD_MEMBERSHIP ${formatIPv4(g)}`, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreqn(g, this.ifindex));
    }
    this.setOpt('SO_BINDTODEVICE', SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${iface}\0`, 'latin1'));
    this.setOpt('IP_HDRINCL', IPPROTO_IP, IP_HDRINCL, 1);
    this.setOpt('IP_MULTICAST_IF', IPPROTO_IP, IP_MULTICAST_IF, mreqn(new Uint8Array(4), this.ifindex));
    this.setOpt('IP_MULTICAST_LOOP', IPPROTO_IP, IP_MULTICAST_LOOP, 0);
    // With IP_HDRINCL the header's own TOS and TTL go out; these only matter without it.
    this.setOpt('IP_MULTICAST_TTL', IPPROTO_IP, IP_MULTICAST_TTL, MULTICAST_TTL);
    this.setOpt('IP_TOS', IPPROTO_IP, IP_TOS, VRRP_TOS);
  }

  private receive(buf: Buffer): void {
    // raw-socket reuses its receive buffer: copy before anyone keeps the bytes.
    const data = new Uint8Array(buf);
    if (data.length < 20 || data[0]! >> 4 !== 4) return;
    this.deliver({
      family: 'inet', data, withIpHeader: true,
      src: formatIPv4(data, 12), dst: formatIPv4(data, 16), ttl: data[8]!, ifindex: this.ifindex,
    });
  }

  send(packet: Uint8Array, dst: string, _opts?: { src?: string; ttl?: number }): Promise<void> {
    if (this.closed) return Promise.reject(this.error('send', 'EBADF', 'socket closed'));
    if (this.dead) return Promise.reject(this.dead);
    const a = parseAddress(dst);
    if (!a || a.family !== 'inet') return Promise.reject(this.error('send', 'EINVAL', `${dst} is not an IPv4 address`));
    const buf = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    const wrap = this.raw.wrap;
    if (wrap && typeof wrap.send === 'function') {
      try {
        wrap.send(buf, 0, buf.length, dst, () => undefined);
        return Promise.resolve();
      } catch (e) {
        const m = (e as Error).message;
        const code = codeFromMessage(m);
        // A full send buffer: wait for writable through raw-socket's own queue below.
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'ENOBUFS') return Promise.reject(this.error(`send to ${dst}`, code, m));
      }
    }
    // Queued: a copy, since the caller may reuse its bytes for the next advert meanwhile.
    const queued = Buffer.from(buf);
    return new Promise((resolve, reject) => {
      // raw-socket queues sends until the socket is writable; close() drops that queue silently.
      const abandon = (): void => reject(this.error(`send to ${dst}`, 'EBADF', 'socket closed before the packet went'));
      this.inflight.add(abandon);
      this.raw.send(queued, 0, queued.length, dst, (err) => {
        this.inflight.delete(abandon);
        if (err) reject(this.error(`send to ${dst}`, codeFromMessage(err.message), err.message));
        else resolve();
      });
    });
  }

  protected closeSocket(): void {
    this.raw.close();
    for (const abandon of this.inflight) abandon();
    this.inflight.clear();
  }
}

function mreqn(group: Uint8Array, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  b.set(group.subarray(0, 4), 0); // imr_multiaddr; imr_address stays 0.0.0.0
  if (endianness() === 'LE') b.writeInt32LE(ifindex, 8);
  else b.writeInt32BE(ifindex, 8);
  return b;
}

// ---------------------------------------------------------------------------------------------
// IPv6: keel's addon

class Ipv6Socket extends BaseSocket {
  private readonly handle: NativeHandle;

  constructor(options: VrrpSocketOptions, ifindex: number) {
    super(options, ifindex);
    const net = keelNet();
    try {
      this.handle = net.vrrp6Open(options.interface, ifindex, options.protocol ?? 112, options.groups, (err, data, src, dst, hops, ifi) => {
        if (err) {
          this.report(this.error(err.syscall ?? 'receive', err.code ?? 'EIO', err.detail ?? err.message));
          return;
        }
        this.deliver({
          family: 'inet6', data: new Uint8Array(data!.buffer, data!.byteOffset, data!.byteLength), withIpHeader: false,
          // Without IPV6_PKTINFO (never seen) the destination is unknown: '::' reads as unicast.
          src: src!, dst: dst ?? '::', ttl: hops ?? -1, ifindex: ifi ?? ifindex,
        });
      });
    } catch (e) {
      const err = e as NativeError;
      throw this.error(err.syscall ?? 'open', err.code ?? 'EIO', err.detail ?? err.message);
    }
  }

  /**
   * IPv6: `packet` is the VRRP message; the kernel adds the header (traffic class 0xc0) and fills
   * the checksum (IPV6_CHECKSUM 6, as keepalived), so the bytes equal keepalived's either way.
   */
  send(packet: Uint8Array, dst: string, opts: { src?: string; ttl?: number } = {}): Promise<void> {
    if (this.closed) return Promise.reject(this.error('send', 'EBADF', 'socket closed'));
    const a = parseAddress(dst);
    if (!a || a.family !== 'inet6') return Promise.reject(this.error('send', 'EINVAL', `${dst} is not an IPv6 address`));
    try {
      keelNet().vrrp6Send(this.handle, packet, dst, opts.src ?? null, opts.ttl ?? null);
      return Promise.resolve();
    } catch (e) {
      const err = e as NativeError;
      return Promise.reject(this.error(`send to ${dst}`, err.code ?? 'EIO', err.detail ?? err.message));
    }
  }

  protected closeSocket(): void {
    keelNet().vrrp6Close(this.handle);
  }
}

// ---------------------------------------------------------------------------------------------

/** Open one VRRP socket as the options say; rejects with a VrrpSocketError naming the interface. */
export function openVrrpSocket(options: VrrpSocketOptions): VrrpSocket {
  const iface = options.interface;
  const protocol = options.protocol ?? 112;
  if (protocol !== 112 && protocol !== 51) throw new VrrpSocketError(`protocol ${protocol} is neither VRRP (112) nor AH (51)`, 'EINVAL', iface);
  if (options.family === 'inet6' && protocol !== 112) throw new VrrpSocketError('AH exists only for VRRP over IPv4', 'EINVAL', iface);
  const groups: Uint8Array[] = [];
  for (const g of options.groups) {
    const a = parseAddress(g);
    if (!a || a.family !== options.family || !isMulticast(a.family, a.bytes)) {
      throw new VrrpSocketError(`${g} is not an ${options.family === 'inet' ? 'IPv4' : 'IPv6'} multicast group`, 'EINVAL', iface);
    }
    groups.push(a.bytes);
  }
  const ifindex = interfaceIndex(iface);
  return options.family === 'inet' ? new Ipv4Socket(options, ifindex, groups) : new Ipv6Socket(options, ifindex);
}

export class KernelVrrpTransport implements VrrpTransport {
  async open(options: VrrpSocketOptions): Promise<VrrpSocket> {
    return openVrrpSocket(options);
  }
}
