// The syslog side of keepalived's logging, as pure functions: which facility -S names, and the
// RFC 3164 line glibc's syslog() hands to /dev/log ("<PRI>Mmm dd hh:mm:ss ident[pid]: message",
// no host name: the local syslog daemon adds it). Formatted here by hand because the datagram
// goes out through our own addon (Node has no AF_UNIX datagram socket) and the few syslog
// packages on npm either speak to remote servers over UDP/TCP or spawn logger(1) per line.

/** syslog(3) facility codes (the PRI is facility * 8 + severity). */
export const FACILITY = {
  user: 1,
  daemon: 3,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;

/** syslog(3) severities keel uses. */
export const SEVERITY = { err: 3, warning: 4, info: 6, debug: 7 } as const;

/** keepalived's default facility (LOG_DAEMON). */
export const DEFAULT_FACILITY = FACILITY.daemon;

/**
 * The facility -S names, as keepalived reads it: "0".."7" or "local0".."local7" for local0..local7,
 * or "daemon" / "user". Anything else is undefined (keepalived then says "Invalid log facility"
 * and keeps LOG_DAEMON).
 */
export function parseFacility(arg: string): number | undefined {
  const m = /^(?:local)?([0-9]+)$/.exec(arg);
  if (m) {
    const n = Number(m[1]);
    return n <= 7 ? FACILITY.local0 + n : undefined;
  }
  if (arg === 'daemon') return FACILITY.daemon;
  if (arg === 'user') return FACILITY.user;
  return undefined;
}

/**
 * The ident a process logs under: keepalived adds the network namespace and the instance name
 * (keepalived -s NS / -i INSTANCE) so that several keepalived on one host stay apart in syslog.
 */
export function syslogIdent(base: string, namespace?: string, instance?: string): string {
  let ident = base;
  if (namespace) ident += `_${namespace}`;
  if (instance) ident += `_${instance}`;
  return ident;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** strftime("%h %e %T") in the C locale and local time: "Nov  2 11:40:01". */
export function syslogTimestamp(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

export interface SyslogLine {
  facility: number;
  severity: number;
  ident: string;
  pid: number;
  time: Date;
  message: string;
}

/** One datagram's text, as glibc's syslog() with LOG_PID writes it to /dev/log. */
export function formatSyslog(l: SyslogLine): string {
  return `<${l.facility * 8 + l.severity}>${syslogTimestamp(l.time)} ${l.ident}[${l.pid}]: ${l.message}`;
}
