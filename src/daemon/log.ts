// Log lines as keepalived writes them, so operators' greps keep working: with -l and -n on stderr
// as "<%c timestamp>: message"; with -g to a file as "<%a %b %d %T.nanoseconds %Y>: message";
// otherwise to syslog through logger(1)'s socket is left to the process model (issue 8).
// `detail` lines are the ones keepalived writes only with -D.
import { appendFileSync } from 'node:fs';

export interface Logger {
  info(message: string): void;
  /** Written only with -D (keepalived's LOG_DETAIL). */
  detail(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LogOptions {
  console: boolean;
  detail: boolean;
  file?: string;
  /** Where console lines go (stderr as keepalived). */
  stream?: NodeJS.WritableStream;
  now?: () => Date;
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

export function createLogger(o: LogOptions): Logger {
  const stream = o.stream ?? process.stderr;
  const now = o.now ?? (() => new Date());
  const write = (message: string): void => {
    const d = now();
    if (o.console) stream.write(`${cTimestamp(d)}: ${message}\n`);
    if (o.file) {
      try {
        appendFileSync(o.file, `${fileTimestamp(d)}: ${message}\n`);
      } catch {
        // A log file that cannot be written must not stop VRRP; console still has the line.
      }
    }
  };
  return {
    info: write,
    detail: (m) => { if (o.detail) write(m); },
    warn: write,
    error: write,
  };
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
