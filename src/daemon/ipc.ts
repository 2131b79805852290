// The parent and its children (VRRP, checkers) talk over Node's IPC channel (fork): requests for
// live state with a reply, and one-way events (a VRRP transition, which the checker process needs
// for lvs_sync_daemon and the parent for metrics). Signals stay signals, as in keepalived.
import type { ChildProcess } from 'node:child_process';

export type ChildRole = 'vrrp' | 'check';

/** Set in a child's environment to say which part it runs (removed before any script runs). */
export const ROLE_ENV = 'KEEL_CHILD';

/** A child that cannot start (bad socket, unreadable config): the parent stops, as keepalived's does. */
export const EXIT_FATAL = 3;

export type ToChild =
  | { type: 'request'; id: number; what: 'status' }
  | { type: 'vrrp-state'; instance: string; state: string };

export type FromChild =
  | { type: 'reply'; id: number; body?: unknown; error?: string }
  | { type: 'transition'; instance: string; from: string; to: string };

/** The child's side: answer the parent's requests; events go up with `tell`. */
export function serveParent(handlers: { status: () => Promise<unknown>; vrrpState?: (instance: string, state: string) => void }): void {
  process.on('message', (m: ToChild) => {
    if (m.type === 'vrrp-state') {
      handlers.vrrpState?.(m.instance, m.state);
      return;
    }
    if (m.type !== 'request') return;
    handlers.status().then(
      (body) => tell({ type: 'reply', id: m.id, body }),
      (e: Error) => tell({ type: 'reply', id: m.id, error: e.message }),
    );
  });
}

export function tell(m: FromChild): void {
  if (process.connected) process.send?.(m, undefined, {}, () => undefined);
}

/** The parent's side of one child: requests with a timeout, so a hung child cannot hang status. */
export class ChildChannel {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: { body?: unknown; error?: string }) => void>();

  constructor(readonly proc: ChildProcess, onEvent: (m: FromChild) => void) {
    proc.on('message', (m: FromChild) => {
      if (m.type === 'reply') {
        this.waiting.get(m.id)?.(m);
        this.waiting.delete(m.id);
      } else onEvent(m);
    });
    proc.on('exit', () => {
      for (const w of this.waiting.values()) w({ error: 'child exited' });
      this.waiting.clear();
    });
  }

  send(m: ToChild): void {
    if (this.proc.connected) this.proc.send(m, undefined, {}, () => undefined);
  }

  request(what: 'status', timeoutMs = 2000): Promise<unknown> {
    if (!this.proc.connected) return Promise.reject(new Error('child not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        if (r.error !== undefined) reject(new Error(r.error));
        else resolve(r.body);
      });
      this.send({ type: 'request', id, what });
    });
  }
}
