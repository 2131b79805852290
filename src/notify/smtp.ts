// keepalived's smtp_alert client: one connection per alert, HELO / MAIL FROM / RCPT TO (each
// recipient) / DATA / headers and body / QUIT, the reply codes keepalived expects (220, 250, 250,
// 250, 354, 250, 221). Written by hand on a socket because the exchange is six fixed commands and
// must produce keepalived's exact headers; a mail library would add its own (Message-ID, MIME).
import { connect, type Socket } from 'node:net';
import type { Logger } from '../daemon/log.js';

export interface MailServer {
  host: string;
  port: number;
  /** HELO name (keepalived: smtp_helo_name, else "localhost"). */
  helo: string;
  /** Seconds (smtp_connect_timeout), for connecting and for each reply. */
  timeout: number;
}

export interface Mail {
  from: string;
  to: readonly string[];
  subject: string;
  body: string;
  /** For the Date header (tests). */
  date?: Date;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** strftime "%a, %d %b %Y %H:%M:%S %z" in local time, as keepalived's Date header. */
export function rfc822Date(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const z = `${sign}${p2(Math.trunc(Math.abs(off) / 60))}${p2(Math.abs(off) % 60)}`;
  return `${DAYS[d.getDay()]}, ${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${z}`;
}

/** The DATA payload as keepalived sends it (headers, blank line, body, terminating dot). */
export function messageText(m: Mail): string {
  return `Date: ${rfc822Date(m.date ?? new Date())}\r\nFrom: ${m.from}\r\nSubject: ${m.subject}\r\n` +
    `X-Mailer: Keepalived\r\nTo: ${m.to.join(', ')}\r\n\r\n${m.body}\r\n\r\n.\r\n`;
}

/** keepalived's inet_sockaddrtopair: "[addr]:port" for both families. */
const fmtHost = (s: MailServer): string => `[${s.host}]:${s.port}`;

/** Reads SMTP replies: the code of each complete (possibly multi-line) reply. */
class ReplyReader {
  private buf = '';
  private waiting: ((code: number) => void) | undefined;
  private readonly codes: number[] = [];

  feed(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) break;
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      // "250-..." continues a reply; "250 ..." (or a bare code) ends it.
      if (/^\d{3}(?: |$)/.test(line)) this.push(Number(line.slice(0, 3)));
      else if (!/^\d{3}-/.test(line)) this.push(-1);
    }
  }

  private push(code: number): void {
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w(code);
    } else this.codes.push(code);
  }

  next(): Promise<number> {
    const c = this.codes.shift();
    if (c !== undefined) return Promise.resolve(c);
    return new Promise((r) => { this.waiting = r; });
  }

  fail(): void {
    this.push(-1);
  }
}

/**
 * Send one alert. Never throws: failures are logged in keepalived's words and the result says
 * whether the server accepted the message.
 */
export async function sendMail(server: MailServer, m: Mail, log: Logger): Promise<boolean> {
  const host = fmtHost(server);
  const ms = Math.max(1, server.timeout) * 1000;
  let sock: Socket;
  try {
    sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: server.host, port: server.port });
      const t = setTimeout(() => { s.destroy(); reject(new Error('timeout')); }, ms);
      s.once('connect', () => { clearTimeout(t); resolve(s); });
      s.once('error', (e) => { clearTimeout(t); reject(e); });
    });
  } catch (e) {
    if ((e as Error).message === 'timeout') log.info(`Timeout connecting SMTP server ${host}.`);
    else log.info(`SMTP connection ERROR to ${host}.`);
    return false;
  }
  log.detail(`Remote SMTP server ${host} connected.`);
  const reader = new ReplyReader();
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => reader.feed(d));
  sock.on('error', () => reader.fail());
  sock.on('close', () => reader.fail());
  const expect = async (want: number, name: string): Promise<boolean> => {
    let t: NodeJS.Timeout | undefined;
    const code = await Promise.race([reader.next(), new Promise<number>((r) => { t = setTimeout(() => r(-2), ms); })]);
    clearTimeout(t);
    if (code === want) return true;
    if (code === -2) log.info(`Timeout reading data to remote SMTP server ${host}.`);
    else if (code === -1) log.info(`Remote SMTP server ${host} has closed the connection.`);
    else log.info(`Error processing ${name} cmd on SMTP server ${host}. SMTP status code = ${code}`);
    return false;
  };
  const send = (s: string): void => { sock.write(s); };
  let ok = false;
  try {
    if (!(await expect(220, '(E)SMTP'))) return false;
    send(`HELO ${server.helo}\r\n`);
    if (!(await expect(250, 'HELO'))) return false;
    send(`MAIL FROM:<${m.from}>\r\n`);
    if (!(await expect(250, 'MAIL'))) return false;
    for (const to of m.to) {
      send(`RCPT TO:<${to}>\r\n`);
      if (!(await expect(250, 'RCPT'))) return false;
    }
    send('DATA\r\n');
    if (!(await expect(354, 'DATA'))) return false;
    send(messageText(m));
    if (!(await expect(250, 'BODY'))) return false;
    ok = true;
    log.detail('SMTP alert successfully sent.');
    send('QUIT\r\n');
    await expect(221, 'QUIT');
    return true;
  } finally {
    if (!ok) {
      // keepalived sends QUIT after a refused command too.
      try { sock.write('QUIT\r\n'); } catch { /* closed */ }
    }
    sock.end();
    sock.destroy();
  }
}
