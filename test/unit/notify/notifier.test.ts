// The notifier against real scripts, real FIFOs and a real SMTP server on loopback.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { loadConfigText } from '../../../src/config/build.js';
import { memoryLogger } from '../../../src/daemon/log.js';
import { fifoLine } from '../../../src/notify/fifo.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { recorder, script, tempDir, waitFor } from './helpers.js';

const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

function configText(dir: string, out: string, extraGlobal = '', extraInstance = ''): string {
  for (const n of ['master', 'backup', 'fault', 'stop', 'notify', 'rxlow', 'gmaster', 'gbackup', 'gnotify', 'gstop']) recorder(dir, n, out);
  return `
global_defs {
  enable_script_security
  script_user root
  ${extraGlobal}
}
vrrp_sync_group G1 {
  group { VI_1 }
  notify_master "${dir}/gmaster"
  notify_backup "${dir}/gbackup"
  notify_stop "${dir}/gstop"
  notify "${dir}/gnotify"
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  virtual_ipaddress { 192.0.2.1/32 }
  notify_master "${dir}/master arg1 'two words'"
  notify_backup ${dir}/backup
  notify_fault ${dir}/fault
  notify_stop ${dir}/stop
  notify ${dir}/notify
  notify_master_rx_lower_pri ${dir}/rxlow
  ${extraInstance}
}
`;
}

describe('Notifier', () => {
  const t = tempDir('notify');
  after(() => t.remove());

  it('runs keepalived\'s scripts with keepalived\'s arguments and writes keepalived\'s FIFO lines', async () => {
    const out = join(t.dir, 'calls');
    const fifo = join(t.dir, 'fifo');
    const fifoOut = join(t.dir, 'fifo-out');
    const reader = script(join(t.dir, 'reader'), `printf '%s\\n' "$@" > '${fifoOut}.args'\nexec cat "$1" >> '${fifoOut}'`);
    const r = loadConfigText(configText(t.dir, out, `vrrp_notify_fifo ${fifo}\n  vrrp_notify_fifo_script ${reader}`));
    assert.equal(r.config.vrrp_instances[0]!.notify_master?.argv.length, 3, r.diagnostics.list.map((d) => d.message).join('\n'));
    const log = memoryLogger();
    const n = new Notifier(r.config, log);
    n.open();
    await waitFor('FIFO reader started', () => existsSync(`${fifoOut}.args`));
    n.handle({ type: 'notify', instance: 'VI_1', state: 'BACKUP', priority: 100 });
    n.handle({ type: 'notify-group', group: 'G1', state: 'BACKUP' });
    n.handle({ type: 'notify', instance: 'VI_1', state: 'MASTER', priority: 100 });
    n.handle({ type: 'notify-group', group: 'G1', state: 'MASTER' });
    n.handle({ type: 'notify-event', instance: 'VI_1', event: 'master-rx-lower-pri' });
    n.handle({ type: 'notify-priority', instance: 'VI_1', state: 'MASTER', priority: 90 });
    n.handle({ type: 'notify', instance: 'VI_1', state: 'FAULT', priority: 90 });
    n.handle({ type: 'notify', instance: 'VI_1', state: 'STOP', priority: 90 });
    n.handle({ type: 'notify-group', group: 'G1', state: 'STOP' });
    const expected = [
      'backup|', 'notify|INSTANCE|VI_1|BACKUP|100|', 'gbackup|', 'gnotify|GROUP|G1|BACKUP|0|',
      'master|arg1|two words|', 'notify|INSTANCE|VI_1|MASTER|100|', 'gmaster|', 'gnotify|GROUP|G1|MASTER|0|',
      'rxlow|', 'fault|', 'notify|INSTANCE|VI_1|FAULT|90|', 'stop|', 'notify|INSTANCE|VI_1|STOP|90|',
      'gstop|', 'gnotify|GROUP|G1|STOP|0|',
    ];
    // Started in exactly this order (they then run side by side, as keepalived's do).
    assert.deepEqual(n.calls.map((c) => `${c.argv.map((a) => a.replace(`${t.dir}/`, '')).join('|')}|`), expected);
    for (const c of n.calls) assert.deepEqual(await c.result, { kind: 'exited', code: 0 });
    assert.deepEqual(lines(out).sort(), [...expected].sort());
    await n.close();
    await waitFor('FIFO reader done', () => lines(fifoOut).length >= 9);
    assert.deepEqual(lines(fifoOut), [
      'INSTANCE "VI_1" BACKUP 100', 'GROUP "G1" BACKUP 0', 'INSTANCE "VI_1" MASTER 100', 'GROUP "G1" MASTER 0',
      'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100', 'INSTANCE "VI_1" MASTER_PRIORITY 90', 'INSTANCE "VI_1" FAULT 90',
      'INSTANCE "VI_1" STOP 90', 'GROUP "G1" STOP 0',
    ]);
    // The reader got the FIFO's name as its last (here only) argument; the FIFO keel made is gone.
    assert.deepEqual(lines(`${fifoOut}.args`), [fifo]);
    assert.equal(existsSync(fifo), false);
  });

  it('a hung, crashing, missing or non-executable notify script never holds back the next one', async () => {
    const out = join(t.dir, 'calls2');
    const r = loadConfigText(configText(t.dir, out));
    const v = r.config.vrrp_instances[0]!;
    const hang = script(join(t.dir, 'hang'), `echo $$ > '${t.dir}/hang.pid'\ntrap '' TERM\nsleep 60`);
    const crash = script(join(t.dir, 'crash'), 'kill -SEGV $$');
    const noexec = script(join(t.dir, 'noexec'), 'exit 0', 0o644);
    const log = memoryLogger();
    const n = new Notifier(r.config, log);
    v.notify_master = { command: hang, argv: [hang] };
    n.handle({ type: 'notify', instance: 'VI_1', state: 'MASTER', priority: 100 });
    v.notify_master = { command: crash, argv: [crash] };
    n.handle({ type: 'notify', instance: 'VI_1', state: 'MASTER', priority: 100 });
    v.notify_master = { command: join(t.dir, 'missing'), argv: [join(t.dir, 'missing')] };
    n.handle({ type: 'notify', instance: 'VI_1', state: 'MASTER', priority: 100 });
    v.notify_master = { command: noexec, argv: [noexec] };
    n.handle({ type: 'notify', instance: 'VI_1', state: 'MASTER', priority: 100 });
    n.handle({ type: 'notify', instance: 'VI_1', state: 'BACKUP', priority: 100 });
    const results = await Promise.all(n.calls.slice(1).map((c) => c.result));
    assert.deepEqual(results.map((x) => x.kind), ['exited', 'signaled', 'exited', 'error', 'exited', 'error', 'exited', 'exited', 'exited']);
    assert.ok(log.lines.some((l) => l.includes(`Error exec-ing command '${join(t.dir, 'missing')}'`)), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => l.includes(`Error exec-ing command '${noexec}'`)));
    // The BACKUP notifications ran to the end while the hung MASTER script still runs.
    assert.ok(lines(out).includes('backup|'));
    assert.ok(lines(out).includes('notify|INSTANCE|VI_1|BACKUP|100|'));
    assert.equal(n.runner.running, 1);
    await n.close();
    assert.equal(n.runner.running, 0);
    assert.deepEqual(await n.calls[0]!.result, { kind: 'signaled', signal: 'SIGKILL', timedOut: false });
  });

  it('writes keepalived\'s FIFO line format', () => {
    assert.equal(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100), 'INSTANCE "VI_1" MASTER 100\n');
    assert.equal(fifoLine('GROUP', 'G 1', 'FAULT', 0), 'GROUP "G 1" FAULT 0\n');
  });
});

describe('smtp_alert', () => {
  const mails: { from: string; to: string[]; helo: string; text: string }[] = [];
  let server: SMTPServer;
  let port = 0;
  before(async () => {
    server = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
      onRcptTo(addr, _session, cb) {
        if (addr.address.startsWith('bad@')) cb(Object.assign(new Error('no such user'), { responseCode: 550 }));
        else cb();
      },
      onData(stream, session, cb) {
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (d: string) => { text += d; });
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((x) => x.address), helo: session.hostNameAppearsAs, text,
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('mails state changes through a real SMTP exchange, once per state', async () => {
    const t = tempDir('smtp');
    try {
      const r = loadConfigText(`
global_defs {
  router_id lb-one
  smtp_server 127.0.0.1 ${port}
  smtp_helo_name keel-test
  notification_email { ops@example.org noc@example.org }
  notification_email_from keel@example.org
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  smtp_alert
  virtual_ipaddress { 192.0.2.1/32 }
}
`);
      const log = memoryLogger();
      const n = new Notifier(r.config, log);
      n.handle({ type: 'notify', instance: 'VI_1', state: 'MASTER', priority: 100 });
      n.handle({ type: 'notify', instance: 'VI_1', state: 'MASTER', priority: 100 });
      await n.close();
      assert.equal(mails.length, 1, log.lines.join('\n'));
      const m = mails[0]!;
      assert.equal(m.from, 'keel@example.org');
      assert.deepEqual(m.to, ['ops@example.org', 'noc@example.org']);
      assert.equal(m.helo, 'keel-test');
      assert.match(m.text, /^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n/);
      assert.ok(m.text.includes('From: keel@example.org\r\nSubject: [lb-one] VRRP Instance VI_1 - Entering MASTER state\r\nX-Mailer: Keepalived\r\nTo: ops@example.org, noc@example.org\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n'), m.text);
      assert.ok(log.lines.includes('SMTP alert successfully sent.'), log.lines.join('\n'));
    } finally {
      t.remove();
    }
  });

  it('logs a refused connection in keepalived\'s words and carries on', async () => {
    const r = loadConfigText(`
global_defs {
  smtp_server 127.0.0.1 1
  notification_email { ops@example.org }
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  smtp_alert
  virtual_ipaddress { 192.0.2.1/32 }
}
`);
    const log = memoryLogger();
    const n = new Notifier(r.config, log);
    n.handle({ type: 'notify', instance: 'VI_1', state: 'BACKUP', priority: 100 });
    await n.close();
    assert.ok(log.lines.includes('SMTP connection ERROR to [127.0.0.1]:1.'), log.lines.join('\n'));
  });

  it('logs a refused recipient with the server\'s code, and sends nothing', async () => {
    const r = loadConfigText(`
global_defs {
  smtp_server 127.0.0.1 ${port}
  notification_email { bad@example.org }
  notification_email_from keel@example.org
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  smtp_alert
  virtual_ipaddress { 192.0.2.1/32 }
}
`);
    const before = mails.length;
    const log = memoryLogger();
    const n = new Notifier(r.config, log);
    n.handle({ type: 'notify', instance: 'VI_1', state: 'FAULT', priority: 100 });
    await n.close();
    assert.equal(mails.length, before);
    assert.ok(log.lines.includes(`Error processing RCPT cmd on SMTP server [127.0.0.1]:${port}. SMTP status code = 550`), log.lines.join('\n'));
  });
});
