// keel's logger: keepalived's console, file and syslog lines, pino JSON lines, -D gating, and that a
// line logged just before exit is on disk. Syslog goes to a real AF_UNIX datagram socket bound by
// python3 (Node cannot bind one).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import {
  IDENT_CHECKERS, IDENT_PARENT, IDENT_VRRP, cTimestamp, createLogger, fileTimestamp, logFileName, logOptionsFromFlags,
} from '../../../src/daemon/log.js';
import { FACILITY, formatSyslog, parseFacility, syslogIdent, syslogTimestamp } from '../../../src/daemon/syslog-format.js';
import { ROOT, which } from '../../helpers/env.js';

// A fixed local time: Sunday 2026-11-22 07:04:09.123.
const T = new Date(2026, 10, 22, 7, 4, 9, 123);
const now = (): Date => T;

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'keel-log-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

describe('timestamps and names', () => {
  it('formats keepalived\'s console, file and syslog stamps', () => {
    assert.equal(cTimestamp(T), 'Sun Nov 22 07:04:09 2026');
    assert.equal(fileTimestamp(T), 'Sun Nov 22 07:04:09.123000000 2026');
    assert.equal(syslogTimestamp(T), 'Nov 22 07:04:09');
    assert.equal(syslogTimestamp(new Date(2026, 0, 2, 23, 5, 6)), 'Jan  2 23:05:06');
    assert.equal(cTimestamp(new Date(2026, 0, 2, 23, 5, 6)), 'Fri Jan  2 23:05:06 2026');
  });

  it('parses -S as keepalived does', () => {
    for (let n = 0; n <= 7; n++) {
      assert.equal(parseFacility(String(n)), 16 + n);
      assert.equal(parseFacility(`local${n}`), 16 + n);
    }
    assert.equal(parseFacility('daemon'), 3);
    assert.equal(parseFacility('user'), 1);
    for (const bad of ['8', 'local8', 'kern', '', 'local', '-1', 'LOCAL1', ' 1', 'daemon ']) assert.equal(parseFacility(bad), undefined, bad);
  });

  it('formats RFC 3164 lines with PRI = facility * 8 + severity', () => {
    assert.equal(formatSyslog({ facility: FACILITY.daemon, severity: 6, ident: IDENT_VRRP, pid: 1234, time: T, message: '(VI_1) Entering MASTER STATE' }),
      '<30>Nov 22 07:04:09 Keepalived_vrrp[1234]: (VI_1) Entering MASTER STATE');
    assert.equal(formatSyslog({ facility: FACILITY.local7, severity: 3, ident: 'x', pid: 1, time: T, message: 'm' }), '<187>Nov 22 07:04:09 x[1]: m');
  });

  it('names idents and child log files as keepalived does', () => {
    assert.deepEqual([IDENT_PARENT, IDENT_VRRP, IDENT_CHECKERS], ['Keepalived', 'Keepalived_vrrp', 'Keepalived_healthcheckers']);
    assert.equal(syslogIdent(IDENT_VRRP), 'Keepalived_vrrp');
    assert.equal(syslogIdent(IDENT_VRRP, 'blue', 'i1'), 'Keepalived_vrrp_blue_i1');
    assert.equal(logFileName('/var/log/ka.log'), '/var/log/ka.log');
    assert.equal(logFileName('/var/log/ka.log', 'vrrp'), '/var/log/ka_vrrp.log');
    assert.equal(logFileName('/var/log/ka.log', 'checker', 'blue', 'i1'), '/var/log/ka_checker_blue_i1.log');
    assert.equal(logFileName('/var/log.d/ka', 'vrrp'), '/var/log.d/ka_vrrp');
    assert.equal(logFileName('ka.log', 'vrrp', undefined, undefined, '/tmp'), '/tmp/ka_vrrp.log');
  });

  it('maps the flags to options: only -G (or -t) stops syslog', () => {
    const o = logOptionsFromFlags({ 'log-console': true, 'log-detail': true, 'log-file': '/x.log', 'log-facility': 'local2' }, IDENT_VRRP);
    assert.deepEqual(o, { console: true, detail: true, syslog: true, json: false, ident: IDENT_VRRP, file: '/x.log', facility: 'local2' });
    assert.equal(logOptionsFromFlags({ 'no-syslog': true }, IDENT_PARENT).syslog, false);
    assert.equal(logOptionsFromFlags({ 'config-test': true }, IDENT_PARENT).syslog, false);
    assert.equal(logOptionsFromFlags({ 'log-json': true }, IDENT_PARENT).json, true);
  });
});

describe('console and file', () => {
  it('writes keepalived\'s console lines, detail only with -D, % left alone', () => {
    const plain = collect();
    const l = createLogger({ console: true, detail: false, stream: plain.stream, now });
    l.info('(VI_1) Entering MASTER STATE');
    l.detail('(VI_1) hidden without -D');
    l.warn('50% done %s');
    l.error('bad thing');
    assert.equal(plain.text(), [
      'Sun Nov 22 07:04:09 2026: (VI_1) Entering MASTER STATE',
      'Sun Nov 22 07:04:09 2026: 50% done %s',
      'Sun Nov 22 07:04:09 2026: bad thing', ''].join('\n'));
    const detailed = collect();
    const d = createLogger({ console: true, detail: true, stream: detailed.stream, now });
    d.detail('(VI_1) shown with -D');
    assert.equal(detailed.text(), 'Sun Nov 22 07:04:09 2026: (VI_1) shown with -D\n');
  });

  it('appends keepalived\'s file lines; close() stops writing', () => {
    const file = join(dir, 'ka.log');
    writeFileSync(file, 'earlier\n');
    const l = createLogger({ console: false, detail: false, file, now });
    l.info('Starting VRRP child process, pid=42');
    l.detail('not written');
    l.close?.();
    l.info('after close');
    assert.equal(readFileSync(file, 'utf8'), 'earlier\nSun Nov 22 07:04:09.123000000 2026: Starting VRRP child process, pid=42\n');
  });

  it('writes JSON lines when asked, with msg, level, time, pid, hostname and ident', () => {
    const out = collect();
    const file = join(dir, 'ka.json');
    const l = createLogger({ console: true, detail: true, json: true, stream: out.stream, file, now, ident: IDENT_VRRP });
    l.info('(VI_1) Entering MASTER STATE');
    l.detail('detail');
    l.warn('warning');
    l.error('error');
    l.close?.();
    for (const text of [out.text(), readFileSync(file, 'utf8')]) {
      const lines = text.trim().split('\n').map((s) => JSON.parse(s) as Record<string, unknown>);
      assert.deepEqual(lines.map((j) => [j.level, j.msg]), [[30, '(VI_1) Entering MASTER STATE'], [20, 'detail'], [40, 'warning'], [50, 'error']]);
      for (const j of lines) {
        assert.equal(j.time, T.getTime());
        assert.equal(j.pid, process.pid);
        assert.equal(j.hostname, hostname());
        assert.equal(j.ident, IDENT_VRRP);
      }
    }
  });

  it('gates JSON detail lines on -D too', () => {
    const out = collect();
    const l = createLogger({ console: true, detail: false, json: true, stream: out.stream, now });
    l.detail('hidden');
    l.info('shown');
    assert.deepEqual(out.text().trim().split('\n').map((s) => (JSON.parse(s) as { msg: string }).msg), ['shown']);
  });

  it('carries on without a log file it cannot open, and says so', () => {
    const out = collect();
    const l = createLogger({ console: true, detail: false, stream: out.stream, now, file: join(dir, 'no', 'such', 'dir', 'ka.log') });
    l.info('still here');
    assert.match(out.text(), /Unable to open log file .*ka\.log: ENOENT/);
    assert.match(out.text(), /: still here\n$/);
  });

  it('keeps the lines logged just before process.exit()', () => {
    const file = join(dir, 'exit.log');
    const script = join(dir, 'exit.mjs');
    const mod = pathToFileURL(join(ROOT, 'dist', 'src', 'daemon', 'log.js')).href;
    writeFileSync(script, [
      `import { createLogger } from ${JSON.stringify(mod)};`,
      `const l = createLogger({ console: true, detail: true, file: ${JSON.stringify(file)} });`,
      'for (let i = 0; i < 200; i++) l.info(`line ${i}`);',
      "l.detail('(VI_1) last words');",
      'process.exit(3);',
    ].join('\n'));
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    const console = r.stderr.trim().split('\n');
    const inFile = readFileSync(file, 'utf8').trim().split('\n');
    for (const lines of [console, inFile]) {
      assert.equal(lines.length, 201);
      assert.match(lines.at(-1)!, /: \(VI_1\) last words$/);
    }
  });
});

/** python3 bound to an AF_UNIX datagram socket, printing each datagram as one line. */
class Receiver {
  private child: ChildProcess;
  private lines: string[] = [];
  private waiters: (() => void)[] = [];
  readonly ready: Promise<void>;
  constructor(python: string, path: string) {
    const code = [
      'import socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      's.bind(sys.argv[1])',
      'print("READY", flush=True)',
      'while True:',
      '    d = s.recv(65536)',
      '    print(d.decode("utf-8", "replace").replace("\\n", "\\\\n"), flush=True)',
    ].join('\n');
    this.child = spawn(python, ['-c', code, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const rl = createInterface({ input: this.child.stdout! });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (c) => reject(new Error(`receiver exited (${c})`)));
      rl.on('line', (line) => {
        if (line === 'READY') { resolve(); return; }
        this.lines.push(line);
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }
  /** Resolves once n datagrams have come (the test runner's timeout guards a hang). */
  async take(n: number): Promise<string[]> {
    while (this.lines.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.lines.splice(0, n);
  }
  stop(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

describe('syslog', () => {
  const python = which('python3');
  const skip = !python ? 'needs python3 (binds the AF_UNIX datagram receiver Node cannot)' : false;
  const receivers: Receiver[] = [];
  after(() => { for (const r of receivers) r.stop(); });

  async function receiver(name: string): Promise<[Receiver, string]> {
    const path = join(dir, name);
    const r = new Receiver(python!, path);
    receivers.push(r);
    await r.ready;
    return [r, path];
  }

  it('sends keepalived\'s syslog lines with ident, pid and LOG_DAEMON by default', { skip, timeout: 20000 }, async () => {
    const [r, path] = await receiver('log.sock');
    const l = createLogger({ console: false, detail: false, syslog: true, syslogPath: path, ident: IDENT_VRRP, now });
    l.info('(VI_1) Entering MASTER STATE');
    l.detail('hidden without -D');
    l.warn('a warning');
    l.error('an error');
    const got = await r.take(3);
    const head = `Nov 22 07:04:09 Keepalived_vrrp[${process.pid}]: `;
    assert.deepEqual(got, [`<30>${head}(VI_1) Entering MASTER STATE`, `<28>${head}a warning`, `<27>${head}an error`]);
    assert.deepEqual(l.stats(), { syslogSent: 3, syslogDropped: 0 });
    l.close?.();
  });

  it('uses the -S facility (local0..local7, numbers, names) and writes -D lines at LOG_INFO', { skip, timeout: 20000 }, async () => {
    const [r, path] = await receiver('fac.sock');
    const cases: [string | number, number][] = [['0', 16], ['local5', 21], ['7', 23], ['user', 1], ['daemon', 3], [FACILITY.local2, 18]];
    for (const [facility, code] of cases) {
      const l = createLogger({ console: false, detail: true, syslog: true, syslogPath: path, facility, ident: IDENT_CHECKERS, now });
      l.detail('detail');
      l.close?.();
      const [line] = await r.take(1);
      assert.ok(line!.startsWith(`<${code * 8 + 6}>Nov 22 07:04:09 Keepalived_healthcheckers[`), `${facility}: ${line}`);
    }
  });

  it('falls back to LOG_DAEMON on a bad -S, saying so as keepalived does', { skip, timeout: 20000 }, async () => {
    const [r, path] = await receiver('bad.sock');
    const out = collect();
    const l = createLogger({ console: true, stream: out.stream, detail: false, syslog: true, syslogPath: path, facility: 'kern', now });
    const [line] = await r.take(1);
    assert.equal(line, `<28>Nov 22 07:04:09 Keepalived[${process.pid}]: Invalid log facility 'kern'`);
    assert.match(out.text(), /: Invalid log facility 'kern'\n$/);
    l.close?.();
  });

  it('does not fail without a syslog socket, counts the drops, and finds one that appears later', { skip, timeout: 20000 }, async () => {
    const path = join(dir, 'late.sock');
    const out = collect();
    const l = createLogger({ console: true, stream: out.stream, detail: false, syslog: true, syslogPath: path, now });
    l.info('nobody listens');
    l.error('still nobody');
    assert.deepEqual(l.stats(), { syslogSent: 0, syslogDropped: 2 });
    assert.equal(out.text().split('\n').length, 3);
    const r = new Receiver(python!, path);
    receivers.push(r);
    await r.ready;
    l.info('now heard');
    assert.deepEqual(await r.take(1), [`<30>Nov 22 07:04:09 Keepalived[${process.pid}]: now heard`]);
    assert.deepEqual(l.stats(), { syslogSent: 1, syslogDropped: 2 });
    l.close?.();
  });

  it('takes the socket path from KEEL_SYSLOG_SOCKET', { skip, timeout: 20000 }, async () => {
    const [r, path] = await receiver('env.sock');
    const saved = process.env.KEEL_SYSLOG_SOCKET;
    process.env.KEEL_SYSLOG_SOCKET = path;
    try {
      const l = createLogger({ console: false, detail: false, syslog: true, ident: IDENT_PARENT, now });
      l.info('via env');
      assert.deepEqual(await r.take(1), [`<30>Nov 22 07:04:09 Keepalived[${process.pid}]: via env`]);
      l.close?.();
    } finally {
      if (saved === undefined) delete process.env.KEEL_SYSLOG_SOCKET;
      else process.env.KEEL_SYSLOG_SOCKET = saved;
    }
  });
});
