// What one check attempt reports, and the connection plumbing the TCP-based checkers share.
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { Connection } from '../config/blocks/checkers.js';
import { keelNet, type KeelNet } from '../net/native.js';

/** One attempt's outcome. `msg` is keepalived's wording of what happened ("Timeout connecting"). */
export interface ProbeResult {
  ok: boolean;
  msg: string;
}

/** Why a connect failed, in keepalived's words (tcp_socket_state: error vs timeout). */
export class ConnectError extends Error {
  constructor(readonly timeout: boolean, readonly errno: string | undefined) {
    super(timeout ? 'Timeout connecting' : 'Error connecting');
  }
}

/**
 * Where a checker connects and from where, for Node's sockets. bind_if is honoured for IPv6
 * link-local targets (as a scope id); Node cannot set SO_BINDTODEVICE or SO_MARK, so on these
 * sockets bind_if on IPv4 and fwmark are not applied (the engine says so once at start). TCP_CHECK
 * and HTTP_GET go through the addon when it loads, which applies both.
 */
export function socketTarget(c: Connection): net.TcpNetConnectOpts {
  let host = c.connect_ip;
  if (c.bind_if && host.toLowerCase().startsWith('fe80:') && !host.includes('%')) host = `${host}%${c.bind_if}`;
  const o: net.TcpNetConnectOpts = { host, port: c.connect_port, noDelay: true };
  if (c.bindto) o.localAddress = c.bindto;
  if (c.bind_port) o.localPort = c.bind_port;
  return o;
}

let native: KeelNet | null | undefined;

/** The addon when it loads (TCP_CHECK's connect and HTTP_GET's exchange use it). */
export function nativeNet(): KeelNet | undefined {
  if (native === undefined) {
    try {
      native = keelNet();
    } catch {
      native = null;
    }
  }
  return native ?? undefined;
}

/** Whether connectOnly() uses the addon (and so honours bind_if on IPv4 and fwmark). */
export function nativeConnect(): boolean {
  return nativeNet() !== undefined;
}

/**
 * Connect within `timeoutS` seconds and close (TCP_CHECK); rejects with ConnectError. On the
 * addon's non-blocking connect when it loads (a connect and a close; Node's net.Socket costs
 * ~200 µs of CPU per check for the same), else on net.Socket.
 */
export function connectOnly(c: Connection, timeoutS: number): Promise<void> {
  const n = nativeNet();
  if (!n) return connectTcp(c, timeoutS).then((s) => void s.destroy());
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const h = n.tcpProbe(c.connect_ip, c.connect_port, c.bindto ?? null, c.bind_port ?? 0, c.bind_if ?? null, c.fwmark ?? 0, (errno) => {
      clearTimeout(timer);
      if (errno === 0) resolve();
      else reject(new ConnectError(false, errnoName(errno)));
    });
    if (typeof h === 'number') {
      reject(new ConnectError(false, errnoName(h)));
      return;
    }
    timer = setTimeout(() => {
      n.tcpProbeCancel(h);
      reject(new ConnectError(true, 'ETIMEDOUT'));
    }, Math.max(1, timeoutS * 1000));
  });
}

/** An addon errno as Node names it (ECONNREFUSED). */
export function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

/** Connect within `timeoutS` seconds; rejects with ConnectError. */
export function connectTcp(c: Connection, timeoutS: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketTarget(c));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ConnectError(true, 'ETIMEDOUT'));
    }, Math.max(1, timeoutS * 1000));
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      reject(new ConnectError(false, e.code));
    });
  });
}
