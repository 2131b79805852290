// The control socket: a Unix socket (mode 0600, root's by default under /run/keel) on which a
// running daemon answers `status` with its live state as one JSON document. `keel status` is the
// client. Local only by construction: a filesystem socket, no TCP.
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';

export const DEFAULT_CONTROL = '/run/keel/keel.sock';
const MAX_REQUEST = 1024;

export interface InstanceStatus {
  name: string;
  state: string;
  interface?: string;
  vrid: number;
  priority: number;
  effectivePriority: number;
  /** The master this instance hears (itself when MASTER). */
  master?: { address: string; priority?: number };
  lastTransition?: { from: string; to: string; at: string; cause: string };
  trackers: Record<string, unknown>;
  vips: string[];
  /** Adverts sent and valid adverts received since the VRRP process started. */
  adverts?: { sent: number; received: number };
}

export interface DaemonStatus {
  pid: number;
  version: string;
  config: string;
  startedAt: string;
  instances: InstanceStatus[];
  /** Virtual servers with their real servers' check state, weight and checkers. */
  virtualServers?: unknown[];
  /** The IPVS table keel computed (and programmed unless dryRun). */
  ipvs?: { dryRun: boolean; table: unknown; operations: number };
  counters?: unknown;
  /** The checkers' totals since the checker process started. */
  checks?: { attempts: number; failures: number };
  /** The child processes the parent supervises. */
  processes?: { role: string; pid: number; startedAt: string; restarts: number }[];
  /** A child that did not answer. */
  errors?: string[];
}

/** Serve `status` on `path`; a stale socket left by a killed daemon is replaced. */
export function serveControl(path: string, status: () => Promise<DaemonStatus>, onError: (m: string) => void): Server {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  try {
    unlinkSync(path);
  } catch {
    // None left behind.
  }
  const server = createServer((sock) => {
    let req = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      req += d;
      if (req.length > MAX_REQUEST) {
        sock.end(JSON.stringify({ error: 'request too long' }) + '\n');
        return;
      }
      const nl = req.indexOf('\n');
      if (nl < 0) return;
      const cmd = req.slice(0, nl).trim();
      if (cmd === 'status') {
        status().then((st) => sock.end(JSON.stringify(st) + '\n'), (e: Error) => sock.end(JSON.stringify({ error: e.message }) + '\n'));
      }
      else sock.end(JSON.stringify({ error: `unknown command '${cmd.slice(0, 40)}'` }) + '\n');
    });
    sock.on('error', () => undefined);
  });
  server.on('error', (e) => onError(`control socket ${path}: ${e.message}`));
  server.listen(path, () => {
    try {
      chmodSync(path, 0o600);
    } catch (e) {
      onError(`control socket ${path}: ${(e as Error).message}`);
    }
  });
  return server;
}

export function closeControl(server: Server, path: string): void {
  server.close();
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Ask a daemon; rejects with a readable reason (no daemon, permission, bad answer). */
export function requestStatus(path: string, timeoutMs = 3000): Promise<DaemonStatus> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write('status\n'));
    sock.on('data', (d: string) => { buf += d; });
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        const v = JSON.parse(buf) as DaemonStatus & { error?: string };
        if (v.error) reject(new Error(v.error));
        else resolve(v);
      } catch {
        reject(new Error(`unreadable answer from ${path}`));
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'no keel daemon is listening there'
        : e.code === 'EACCES' ? 'permission denied (the socket is root\'s: try sudo)' : e.message;
      reject(new Error(`cannot reach ${path}: ${why}`));
    });
  });
}
