// SMTP_CHECK: greeting 220, "HELO helo_name" answered 250, then QUIT (check_smtp.c). Each read
// must arrive within connect_timeout.
import type { SmtpChecker } from '../config/blocks/checkers.js';
import { ConnectError, connectTcp, type ProbeResult } from './probe.js';

/** The status of a complete SMTP reply in `buf` (last line "NNN " or "NNN"), else undefined. */
export function smtpReply(buf: string): number | undefined {
  const lines = buf.split('\r\n');
  if (lines.length < 2) return undefined; // no complete line yet
  for (let i = 0; i < lines.length - 1; i++) {
    const l = lines[i]!;
    if (/^\d{3}( |$)/.test(l)) return Number(l.slice(0, 3));
    if (!/^\d{3}-/.test(l)) return 0;
  }
  return undefined;
}

export async function probeSmtp(c: SmtpChecker): Promise<ProbeResult> {
  let s;
  try {
    s = await connectTcp(c, c.connect_timeout);
  } catch (e) {
    return { ok: false, msg: e instanceof ConnectError && e.timeout ? 'Timeout connecting server' : 'Error connecting server' };
  }
  const sock = s;
  return new Promise<ProbeResult>((resolve) => {
    let buf = '';
    let step: 'banner' | 'helo' | 'quit' = 'banner';
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(Math.max(1, c.connect_timeout * 1000), () => finish({ ok: false, msg: 'Read timeout from server' }));
    sock.on('error', () => finish({ ok: false, msg: 'Read failure from server' }));
    sock.on('close', () => finish({ ok: false, msg: 'Read failure from server' }));
    sock.on('data', (b: Buffer) => {
      buf += b.toString('latin1');
      if (buf.length > 8192) return finish({ ok: false, msg: 'SMTP_CHECK Buffer overflow reading from server' });
      const code = smtpReply(buf);
      if (code === undefined) return;
      buf = '';
      if (step === 'banner') {
        if (code !== 220) return finish({ ok: false, msg: 'Bad greeting banner from server' });
        step = 'helo';
        sock.write(`HELO ${c.helo_name}\r\n`);
      } else if (step === 'helo') {
        if (code !== 250) return finish({ ok: false, msg: 'Bad HELO response from server' });
        step = 'quit';
        sock.write('QUIT\r\n');
      } else {
        finish({ ok: true, msg: 'SMTP success' });
      }
    });
  });
}
