// HTTP_GET and SSL_GET against real servers on loopback: good, wrong status, wrong digest, slow,
// reset, accepting and never answering, HTTPS with a self-signed certificate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { which } from '../helpers/env.js';
import { Run, vsConfig } from './harness.js';

const BODY = 'keel says hello\n';
const DIGEST = createHash('md5').update(BODY).digest('hex');

type Mode = 'ok' | 'status500' | 'other-body' | 'slow' | 'reset' | 'silent';

const servers: (net.Server | http.Server)[] = [];
const port: Partial<Record<Mode | 'https' | 'switch', number>> = {};
let switchMode: Mode = 'ok';
let switchHits = 0;
let tmp = '';
let lastRequest = '';

function listen(s: net.Server): Promise<number> {
  servers.push(s);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port)));
}

function handler(mode: () => Mode, count?: () => void): http.RequestListener {
  return (req, res) => {
    count?.();
    lastRequest = `${req.method} ${req.url} HTTP/${req.httpVersion} ua=${req.headers['user-agent']} host=${req.headers.host}`;
    const m = mode();
    if (m === 'status500') { res.statusCode = 500; res.end(BODY); return; }
    if (m === 'other-body') { res.end('something else\n'); return; }
    if (m === 'slow') { setTimeout(() => res.end(BODY), 3000).unref(); return; }
    if (m === 'reset') { req.socket.resetAndDestroy(); return; }
    res.end(BODY);
  };
}

/** A self-signed certificate from `openssl req -x509` (node's crypto cannot issue an X.509 certificate). */
function selfSigned(dir: string): { key: Buffer; cert: Buffer } | undefined {
  if (!which('openssl')) return undefined;
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=keel-test'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'keel-http-'));
  for (const m of ['ok', 'status500', 'other-body', 'slow', 'reset'] as const) port[m] = await listen(http.createServer(handler(() => m)));
  // Accepts the connection, reads the request, never answers.
  port.silent = await listen(net.createServer((s) => { s.on('data', () => undefined); }));
  port.switch = await listen(http.createServer(handler(() => switchMode, () => { switchHits++; })));
  const tlsMaterial = selfSigned(tmp);
  if (tlsMaterial) port.https = await listen(https.createServer(tlsMaterial, handler(() => 'ok')));
});

after(() => {
  for (const s of servers) {
    (s as http.Server).closeAllConnections?.();
    s.close();
  }
  rmSync(tmp, { recursive: true, force: true });
});

const RS = (p: number, extra = '', type = 'HTTP_GET'): string => `
  real_server 127.0.0.1 ${p} {
    ${type} {
      connect_timeout 0.4
      retry 1
      delay_before_retry 0.3
      ${extra}
      url {
        path /check
        digest ${DIGEST}
      }
    }
  }`;

describe('HTTP_GET against real servers', () => {
  it('a good server stays up; each kind of bad server goes down with its cause', async () => {
    const modes = ['ok', 'status500', 'other-body', 'slow', 'reset', 'silent'] as const;
    const run = new Run(vsConfig(modes.map((m) => RS(port[m]!)).join('')));
    try {
      const bad = modes.filter((m) => m !== 'ok');
      await run.until(() => bad.every((m) => run.event(`:${port[m]}`, false)), 4000, 'every bad server down');
      const cause = (m: Mode): string => run.event(`:${port[m]}`, false)!.cause;
      assert.equal(cause('status500'), 'HTTP status code error to');
      assert.equal(cause('other-body'), 'MD5 digest error to');
      assert.equal(cause('slow'), 'Timeout WEB read');
      assert.equal(cause('silent'), 'Timeout WEB read');
      assert.equal(cause('reset'), 'Read, no data received from ');
      // First failures count at once: the fast ones are down at their first check (bootstrap
      // 0.05 s), the slow ones one connect_timeout (0.4 s) later; generous bounds.
      for (const m of ['status500', 'other-body', 'reset'] as const) assert.ok(run.event(`:${port[m]}`, false)!.at < 1500, `${m} at its first check`);
      for (const m of ['slow', 'silent'] as const) {
        const at = run.event(`:${port[m]}`, false)!.at;
        assert.ok(at >= 400 && at < 2500, `${m} after the read timeout (${at} ms)`);
      }
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(run.event(`:${port.ok}`, false), undefined, 'the good server never went down');
      // keepalived marks an HTTP checker as run before counting, so even the first failure is
      // worded "after N retries" (N = retry).
      assert.ok(run.logs.includes(`HTTP_CHECK on service [127.0.0.1]:tcp:${port.status500} failed after 1 retries.`));
      assert.ok(run.logs.includes(`MD5 digest error to server [127.0.0.1]:tcp:${port['other-body']}.`), 'log_all_failures wording');
      assert.match(lastRequest, /^GET \/check HTTP\/1\.0 ua=KeepAliveClient host=127\.0\.0\.1:\d+$/);
      const ok = run.snapshot().table.services[0]!.dests.map((d) => d.port);
      assert.deepEqual(ok, [port.ok]);
    } finally {
      run.stop();
    }
  });

  it('a server that turns bad is removed after its retry, and re-added when it recovers', async () => {
    switchMode = 'ok';
    const run = new Run(vsConfig(RS(port.switch!, 'virtualhost www.keel.test')));
    try {
      await run.until(() => switchHits >= 2, 3000, 'two good checks');
      assert.match(lastRequest, /host=www\.keel\.test$/);
      const t = run.now();
      const hits = switchHits;
      switchMode = 'status500';
      await run.until(() => !!run.event(`:${port.switch}`, false), 4000, 'down');
      const down = run.event(`:${port.switch}`, false)!;
      // One failed check, one retry after delay_before_retry (0.3 s) — at least 0.3 s after the switch.
      assert.ok(down.at - t >= 300 && down.at - t < 2500, `down ${down.at - t} ms after the switch`);
      assert.equal(switchHits - hits, 2, 'one check and one retry');
      assert.ok(run.logs.includes(`HTTP_CHECK on service [127.0.0.1]:tcp:${port.switch} failed after 1 retries.`));
      switchMode = 'ok';
      await run.until(() => !!run.event(`:${port.switch}`, true), 4000, 'up again');
      assert.ok(run.logs.includes(`Remote Web server [127.0.0.1]:tcp:${port.switch} succeed on service.`));
    } finally {
      run.stop();
    }
  });

  it('SSL_GET checks an HTTPS server with a self-signed certificate (not verified, as keepalived)', async (t) => {
    if (!port.https) return t.skip('needs openssl to make a self-signed certificate');
    const run = new Run(vsConfig(RS(port.https, '', 'SSL_GET') + RS(port.ok!, '', 'SSL_GET')));
    try {
      await run.until(() => !!run.event(`:${port.ok}`, false), 3000, 'SSL_GET to a plain HTTP server fails');
      assert.equal(run.event(`:${port.ok}`, false)!.cause, 'SSL handshake/communication error connecting to');
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(run.event(`:${port.https}`, false), undefined);
      const https = run.snapshot().virtualServers[0]!.realServers[0]!.checkers[0]!;
      assert.equal(https.last, 'MD5 digest');
      assert.ok(https.attempts >= 2);
    } finally {
      run.stop();
    }
  });
});
