// Logging, one pino logger per process, worded and laid out as keepalived's so operators' greps
// keep working:
//  - console (-l): stderr, "<%c timestamp>: message";
//  - log file (-g FILE): "<%a %b %d %T.nanoseconds %Y>: message";
//  - syslog (unless -G): "<PRI>Mmm dd hh:mm:ss ident[pid]: message" to /dev/log, facility -S;
//  - --log-json: console and file get pino's JSON lines instead (syslog keeps its text line).
// `detail` lines are the ones keepalived writes only with -D (pino's debug level).
// Every destination is written synchronously, so a line logged just before process.exit() is
// there when the process is gone (tests and operators read them at once).
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import pino, { type DestinationStream, type Logger as PinoLogger, type StreamEntry } from 'pino';
import type { Flags } from './cli.js';
import { DEFAULT_FACILITY, SEVERITY, formatSyslog, parseFacility } from './syslog-format.js';
import { keelNet, type KeelNet, type NativeHandle } from '../net/native.js';

export interface Logger {
  info(message: string): void;
  /** Written only with -D (keepalived's LOG_DETAIL). */
  detail(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Pushes anything buffered to its destination (all are synchronous; this is for symmetry). */
  flush?(): void;
  /** Flushes and closes the log file and the syslog socket; later lines are dropped. */
  close?(): void;
}

/** keepalived's syslog idents: the parent, the VRRP child, the checker child. */
export const IDENT_PARENT = 'Keepalived';
export const IDENT_VRRP = 'Keepalived_vrrp';
export const IDENT_CHECKERS = 'Keepalived_healthcheckers';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';

export interface LogOptions {
  /** -l: write to stderr (or `stream`). */
  console: boolean;
  /** -D: write `detail` lines too. */
  detail: boolean;
  /** -g FILE: also append to this file (see logFileName for the children's names). */
  file?: string;
  /** Where console lines go (stderr as keepalived). */
  stream?: NodeJS.WritableStream;
  now?: () => Date;
  /** Send to syslog (keepalived does unless -G). Off unless asked, so a logger made in a test stays quiet. */
  syslog?: boolean;
  /** -S: a facility name as keepalived takes it ("0".."7", "local0".."local7", "daemon", "user") or a facility code. */
  facility?: string | number;
  /** syslog ident and the `ident` field of JSON lines (default "Keepalived"). */
  ident?: string;
  /** The syslog socket (default $KEEL_SYSLOG_SOCKET or /dev/log). */
  syslogPath?: string;
  /** --log-json: console and file get pino's JSON lines. */
  json?: boolean;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** strftime("%c") in the C locale: "Sun Nov 22 07:14:01 2026". */
export function cTimestamp(d: Date): string {
  const day = String(d.getDate()).padStart(2, ' ');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** keepalived's log-file stamp: "Sun Nov 22 07:14:01.123456789 2026". */
export function fileTimestamp(d: Date): string {
  const ns = String(d.getMilliseconds() * 1_000_000).padStart(9, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${ns} ${d.getFullYear()}`;
}

/**
 * The file a process logs to with -g NAME, as keepalived names it: the parent uses NAME, a child
 * inserts "_vrrp" / "_checker" (then "_namespace", "_instance") before the extension, and a
 * relative NAME is under $TMPDIR (when absolute) or /tmp. -g /var/log/ka.log: the VRRP child
 * writes /var/log/ka_vrrp.log.
 */
export function logFileName(name: string, prog?: 'vrrp' | 'checker', namespace?: string, instance?: string,
  tmpDir = process.env.TMPDIR && isAbsolute(process.env.TMPDIR) ? process.env.TMPDIR : '/tmp'): string {
  const full = isAbsolute(name) ? name : join(tmpDir, name);
  const slash = full.lastIndexOf('/');
  const dot = full.lastIndexOf('.');
  const cut = dot > slash ? dot : full.length;
  let out = full.slice(0, cut);
  for (const part of [prog, namespace, instance]) if (part) out += `_${part}`;
  return out + full.slice(cut);
}

/** The logger options keepalived's flags ask for; the caller gives its process's ident. */
export function logOptionsFromFlags(flags: Flags, ident: string): LogOptions {
  const o: LogOptions = {
    console: !!flags['log-console'],
    detail: !!flags['log-detail'],
    // keepalived -t writes nothing to syslog; -l and -g do not stop syslog, only -G does.
    syslog: !flags['no-syslog'] && !flags['config-test'],
    json: !!flags['log-json'],
    ident,
  };
  if (flags['log-file'] !== undefined) o.file = flags['log-file'];
  if (flags['log-facility'] !== undefined) o.facility = flags['log-facility'];
  return o;
}

// pino hands a stream that carries this symbol the message, level and time of each line as
// properties before calling write(), so the text destinations need not parse the JSON back.
const METADATA = Symbol.for('pino.metadata');

interface LineMeta {
  lastMsg?: string;
  lastLevel?: number;
  lastTime?: string;
}

interface Sink {
  write(s: string): unknown;
}

type SonicBoom = ReturnType<typeof pino.destination>;

/** keepalived's text layout (`stamp: message`) on top of a synchronous sink. */
class TextStream implements DestinationStream, LineMeta {
  readonly [METADATA] = true;
  lastMsg?: string;
  lastTime?: string;
  constructor(private readonly sink: Sink, private readonly stamp: (d: Date) => string) {}
  write(): void {
    this.sink.write(`${this.stamp(new Date(Number(this.lastTime)))}: ${this.lastMsg ?? ''}\n`);
  }
}

/** syslog severity for a pino level. */
function severity(level: number): number {
  if (level >= 50) return SEVERITY.err;
  if (level >= 40) return SEVERITY.warning;
  // keepalived writes its -D lines with LOG_INFO too: filters such as "*.info" must keep them.
  return SEVERITY.info;
}

/** RFC 3164 datagrams to the syslog socket through the addon; drops (counted) when nobody reads. */
class SyslogStream implements DestinationStream, LineMeta {
  readonly [METADATA] = true;
  lastMsg?: string;
  lastLevel?: number;
  lastTime?: string;
  sent = 0;
  dropped = 0;
  private handle: NativeHandle | undefined;
  constructor(private readonly net: KeelNet, path: string, private readonly facility: number, private readonly ident: string) {
    this.handle = net.syslogOpen(path);
  }
  write(): void {
    if (!this.handle) return;
    const line = formatSyslog({
      facility: this.facility, severity: severity(this.lastLevel ?? 30), ident: this.ident, pid: process.pid,
      time: new Date(Number(this.lastTime)), message: this.lastMsg ?? '',
    });
    try {
      if (this.net.syslogSend(this.handle, Buffer.from(line)) === 0) this.sent++;
      else this.dropped++;
    } catch {
      this.dropped++;
    }
  }
  close(): void {
    if (this.handle) this.net.syslogClose(this.handle);
    this.handle = undefined;
  }
}

/**
 * A synchronous pino destination that never throws into the caller: on EPIPE or ENOSPC the line
 * waits to be retried with the next, and past MAX_PENDING bytes waiting, new lines are dropped
 * rather than held in memory for ever. VRRP goes on either way.
 */
const MAX_PENDING = 1 << 20;
function syncDestination(dest: number | string): SonicBoom {
  const d = pino.destination({ dest, sync: true, append: true, maxLength: MAX_PENDING });
  d.on('error', () => {});
  return d;
}

export function createLogger(o: LogOptions): Logger & { stats(): { syslogSent: number; syslogDropped: number } } {
  const now = o.now ?? (() => new Date());
  const ident = o.ident ?? IDENT_PARENT;
  const streams: StreamEntry[] = [];
  const booms: { boom: SonicBoom; owned: boolean }[] = [];
  const problems: string[] = [];
  const add = (stream: DestinationStream): void => { streams.push({ level: 'debug', stream }); };

  if (o.console) {
    let sink: Sink;
    if (o.stream) {
      sink = o.stream;
    } else {
      const boom = syncDestination(2);
      booms.push({ boom, owned: false });
      sink = boom;
    }
    add(o.json ? sink as DestinationStream : new TextStream(sink, cTimestamp));
  }
  if (o.file) {
    try {
      const boom = syncDestination(o.file);
      booms.push({ boom, owned: true });
      add(o.json ? boom : new TextStream(boom, fileTimestamp));
    } catch (e) {
      // keepalived carries on without its log file; the other destinations say why.
      problems.push(`Unable to open log file ${o.file}: ${(e as Error).message}`);
    }
  }
  let facility: number = DEFAULT_FACILITY;
  if (typeof o.facility === 'number') facility = o.facility;
  else if (o.facility !== undefined) {
    const f = parseFacility(o.facility);
    if (f === undefined) problems.push(`Invalid log facility '${o.facility}'`);
    else facility = f;
  }
  let syslog: SyslogStream | undefined;
  if (o.syslog) {
    try {
      syslog = new SyslogStream(keelNet(), o.syslogPath ?? process.env.KEEL_SYSLOG_SOCKET ?? DEFAULT_SYSLOG_SOCKET, facility, ident);
      add(syslog);
    } catch (e) {
      // No addon: console and file still work; say once where the syslog lines are not going.
      problems.push(`Not logging to syslog: ${(e as Error).message}`);
    }
  }

  const log: PinoLogger = pino({
    level: streams.length === 0 ? 'silent' : o.detail ? 'debug' : 'info',
    base: { pid: process.pid, hostname: hostname(), ident },
    timestamp: () => `,"time":${now().getTime()}`,
    // Lines are plain strings and secrets are never put in them; this guards objects logged later.
    redact: { paths: ['auth_pass', 'password', '*.auth_pass', '*.password'], censor: '[redacted]' },
  }, pino.multistream(streams));

  let closed = false;
  const logger = {
    info: (m: string) => { if (!closed) log.info(m); },
    detail: (m: string) => { if (!closed) log.debug(m); },
    warn: (m: string) => { if (!closed) log.warn(m); },
    error: (m: string) => { if (!closed) log.error(m); },
    flush: () => {
      for (const { boom } of booms) {
        try { boom.flushSync(); } catch { /* nothing buffered, or the fd is gone */ }
      }
    },
    close: () => {
      if (closed) return;
      logger.flush();
      closed = true;
      // stderr stays open: it belongs to the process, not to the logger.
      for (const { boom, owned } of booms) if (owned) boom.destroy();
      syslog?.close();
    },
    stats: () => ({ syslogSent: syslog?.sent ?? 0, syslogDropped: syslog?.dropped ?? 0 }),
  };
  for (const p of problems) logger.warn(p);
  return logger;
}

/** A logger that keeps lines in memory (tests). */
export function memoryLogger(detail = true): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    detail: (m) => { if (detail) lines.push(m); },
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
}
