// What one check attempt reports, and the connection plumbing the TCP-based checkers share.
import net from 'node:net';
import type { Connection } from '../config/blocks/checkers.js';

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
 * Where a checker connects and from where. bind_if is honoured for IPv6 link-local targets (as a
 * scope id); Node cannot set SO_BINDTODEVICE or SO_MARK, so bind_if on IPv4 and fwmark are not
 * applied (the engine says so once at start).
 */
export function socketTarget(c: Connection): net.TcpNetConnectOpts {
  let host = c.connect_ip;
  if (c.bind_if && host.toLowerCase().startsWith('fe80:') && !host.includes('%')) host = `${host}%${c.bind_if}`;
  const o: net.TcpNetConnectOpts = { host, port: c.connect_port, noDelay: true };
  if (c.bindto) o.localAddress = c.bindto;
  if (c.bind_port) o.localPort = c.bind_port;
  return o;
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
