// TCP_CHECK, UDP_CHECK, DNS_CHECK, SMTP_CHECK and PING_CHECK against real servers on loopback.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { SMTPServer } from 'smtp-server';
import { isRoot, which } from '../helpers/env.js';
import { Run, vsConfig } from './harness.js';

const closers: (() => void)[] = [];
const port: Record<string, number> = {};
let blackhole: ChildProcess | undefined;

function freePort(type: 'tcp' | 'udp'): Promise<number> {
  return new Promise((resolve) => {
    if (type === 'tcp') {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    } else {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    }
  });
}

/**
 * A TCP port that drops SYNs: a socket listening with backlog 0 that never accepts, its one queue
 * slot taken. Node cannot listen without accepting, so a small python3 process holds it.
 */
async function startBlackhole(): Promise<number | undefined> {
  if (!which('python3')) return undefined;
  const code = 'import socket,sys,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)';
  const child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  blackhole = child;
  const p = await new Promise<number>((resolve) => child.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
  // Fill the accept queue.
  const filler = net.connect(p, '127.0.0.1');
  await new Promise((r) => filler.once('connect', r));
  closers.push(() => filler.destroy());
  return p;
}

/**
 * A TCP port nobody listens on, below the ephemeral range (32768+): a freed ephemeral port can be
 * handed to the checker's own connect as its local port, and a connect to itself "succeeds".
 */
async function refusedPort(): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 10000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
}

before(async () => {
  port.refused = await refusedPort();
  const open = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1');
  await new Promise((r) => open.once('listening', r));
  port.open = (open.address() as net.AddressInfo).port;
  closers.push(() => open.close());
  const bh = await startBlackhole();
  if (bh) port.blackhole = bh;

  const echo = dgram.createSocket('udp4');
  echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('pong:'), m]), r.port, r.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
  port.echo = echo.address().port;
  closers.push(() => echo.close());
  port.udpClosed = await freePort('udp');

  const dns = dgram.createSocket('udp4');
  dns.on('message', (m, r) => {
    const q = dnsPacket.decode(m);
    const good = q.questions?.[0]?.name === 'good.keel.test';
    const reply = dnsPacket.encode({
      type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED | (good ? 0 : 2), questions: q.questions,
      answers: good ? [{ type: 'A', name: 'good.keel.test', ttl: 60, data: '192.0.2.1' }] : [],
    });
    dns.send(reply, r.port, r.address);
  });
  await new Promise<void>((r) => dns.bind(0, '127.0.0.1', () => r()));
  port.dns = dns.address().port;
  closers.push(() => dns.close());

  const smtp = new SMTPServer({ logger: false, disabledCommands: ['AUTH', 'STARTTLS'], onConnect: (_s, cb) => cb() });
  smtp.on('error', () => undefined);
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  port.smtp = (smtp.server.address() as net.AddressInfo).port;
  closers.push(() => smtp.close(() => undefined));
  const rude = new SMTPServer({ logger: false, onConnect: (_s, cb) => cb(new Error('go away')) });
  rude.on('error', () => undefined);
  await new Promise<void>((r) => rude.listen(0, '127.0.0.1', () => r()));
  port.rude = (rude.server.address() as net.AddressInfo).port;
  closers.push(() => rude.close(() => undefined));
});

after(() => {
  for (const c of closers) c();
  if (blackhole?.pid) blackhole.kill('SIGKILL');
});

const rs = (ip: string, p: number, checker: string): string => `
  real_server ${ip} ${p} {
    ${checker}
  }`;

const timing = 'connect_timeout 0.5\n retry 1\n delay_before_retry 0.2';

describe('TCP_CHECK', () => {
  it('an open port is up; a refused one goes down at once; a blackholed one after connect_timeout', async (t) => {
    const parts = [rs('127.0.0.1', port.open!, `TCP_CHECK {\n ${timing}\n }`), rs('127.0.0.1', port.refused!, `TCP_CHECK {\n ${timing}\n }`)];
    if (port.blackhole) parts.push(rs('127.0.0.1', port.blackhole, `TCP_CHECK {\n ${timing}\n }`));
    const run = new Run(vsConfig(parts.join('')));
    try {
      await run.until(() => !!run.event(`:${port.refused}`, false), 2000, 'refused down');
      assert.ok(run.event(`:${port.refused}`, false)!.at < 1000, 'refused: at the first check');
      assert.ok(run.logs.includes(`TCP_CHECK on service [127.0.0.1]:tcp:${port.refused} failed.`));
      if (port.blackhole) {
        await run.until(() => !!run.event(`:${port.blackhole}`, false), 3000, 'blackhole down');
        const at = run.event(`:${port.blackhole}`, false)!.at;
        assert.ok(at >= 500, `blackhole: not before connect_timeout (${at} ms)`);
        assert.equal(run.event(`:${port.blackhole}`, false)!.cause, 'TCP connection timeout');
      } else t.diagnostic('blackhole case skipped: needs python3 to hold a never-accepting socket');
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(run.event(`:${port.open}`, false), undefined);
    } finally {
      run.stop();
    }
  });
});

describe('UDP_CHECK', () => {
  it('require_reply with a pattern; silence counts as success without require_reply; ICMP unreachable fails', async () => {
    const hexPing = Buffer.from('ping').toString('hex');
    const pongPattern = Buffer.from('pong:').toString('hex');
    const run = new Run(vsConfig([
      rs('127.0.0.1', port.echo!, `UDP_CHECK {\n ${timing}\n payload ${hexPing}\n require_reply ${pongPattern}\n }`),
      rs('127.0.0.1', port.udpClosed!, `UDP_CHECK {\n ${timing}\n payload ${hexPing}\n }`),
    ].join(''), 'protocol UDP'));
    try {
      await run.until(() => !!run.event(`[127.0.0.1]:udp:${port.udpClosed}`, false), 3000, 'closed UDP port down');
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(run.event(`[127.0.0.1]:udp:${port.echo}`, false), undefined, 'matching reply: up');
      const snap = run.snapshot().virtualServers[0]!.realServers;
      assert.equal(snap[0]!.alive, true);
      assert.equal(snap[1]!.alive, false);
    } finally {
      run.stop();
    }
  });

  it('a reply that does not match the pattern fails', async () => {
    const run = new Run(vsConfig(rs('127.0.0.1', port.echo!, `UDP_CHECK {\n ${timing}\n payload 00\n require_reply 7878\n }`), 'protocol UDP'));
    try {
      await run.until(() => !!run.event(`:${port.echo}`, false), 3000, 'mismatch down');
      assert.equal(run.event(`:${port.echo}`, false)!.cause, 'UDP check reply data mismatch');
    } finally {
      run.stop();
    }
  });
});

describe('DNS_CHECK', () => {
  it('NOERROR is up; SERVFAIL is down', async () => {
    const run = new Run(vsConfig([
      rs('127.0.0.1', port.dns!, `DNS_CHECK {\n ${timing}\n type A\n name good.keel.test\n }`),
      rs('127.0.0.2', port.dns!, `DNS_CHECK {\n ${timing}\n connect_ip 127.0.0.1\n type A\n name bad.keel.test\n }`),
    ].join(''), 'protocol UDP'));
    try {
      await run.until(() => !!run.event('[127.0.0.2]:udp:' + port.dns, false), 3000, 'SERVFAIL down');
      assert.equal(run.event('[127.0.0.2]:udp:' + port.dns, false)!.cause, 'read error occurred. (rcode = 2)');
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(run.event('[127.0.0.1]:udp:' + port.dns, false), undefined);
      assert.ok(run.snapshot().virtualServers[0]!.realServers[0]!.checkers[0]!.attempts >= 1);
    } finally {
      run.stop();
    }
  });
});

describe('SMTP_CHECK', () => {
  it('a server greeting 220 and answering HELO is up; one refusing the session is down', async () => {
    const run = new Run(vsConfig([
      rs('127.0.0.1', port.smtp!, `SMTP_CHECK {\n ${timing}\n helo_name checker.keel.test\n }`),
      rs('127.0.0.1', port.rude!, `SMTP_CHECK {\n ${timing}\n }`),
    ].join('')));
    try {
      await run.until(() => !!run.event(`:${port.rude}`, false), 3000, 'rude server down');
      assert.equal(run.event(`:${port.rude}`, false)!.cause, 'Bad greeting banner from server');
      await run.until(() => (run.snapshot().virtualServers[0]!.realServers[0]!.checkers[0]!.attempts >= 2), 3000, 'two SMTP checks');
      assert.equal(run.event(`:${port.smtp}`, false), undefined);
      assert.equal(run.snapshot().virtualServers[0]!.realServers[0]!.checkers[0]!.last, 'SMTP success');
    } finally {
      run.stop();
    }
  });
});

describe('PING_CHECK', () => {
  it('127.0.0.1 answers ICMP echo', async (t) => {
    if (!isRoot()) return t.skip('needs root for a raw ICMP socket');
    const run = new Run(vsConfig(rs('127.0.0.1', 80, `PING_CHECK {\n connect_timeout 0.5\n }`)));
    try {
      await run.until(() => (run.snapshot().virtualServers[0]!.realServers[0]!.checkers[0]!.attempts >= 2), 3000, 'two pings');
      const c = run.snapshot().virtualServers[0]!.realServers[0]!.checkers[0]!;
      assert.equal(c.last, 'ICMP echo reply');
      assert.equal(c.failures, 0);
    } finally {
      run.stop();
    }
  });
});
