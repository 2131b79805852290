// TCP_CHECK's connect and HTTP_GET's exchange on the addon, against the real kernel in a network
// namespace: fwmark is set (a policy rule makes marked packets unreachable), bind_port is the
// source port the server sees, bind_if binds the socket to the interface, a refused port reports
// ECONNREFUSED; the exchange reads a 3 MB body whole (digest) and times out on a silent server.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { keelNetError } from '../../src/net/native.js';
import { netnsUnavailable } from '../helpers/env.js';
import { Netns } from '../helpers/netns.js';

// The addon is keel's own build product (npm run build), not an optional package: not loading
// fails the test rather than skipping it.
const skip = netnsUnavailable();
const probe = fileURLToPath(new URL('../../src/check/probe.js', import.meta.url));
const httpCheck = fileURLToPath(new URL('../../src/check/http.js', import.meta.url));

// Run inside the namespace: a listener on 127.0.0.1, then the probes; prints their outcomes.
const SCRIPT = `
import net from 'node:net';
import { connectOnly } from ${JSON.stringify(probe)};
const seen = [];
const srv = net.createServer((c) => { seen.push(c.remotePort); c.destroy(); });
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const port = srv.address().port;
const target = { connect_ip: '127.0.0.1', connect_port: port, connect_timeout: 2 };
const run = async (c) => { try { await connectOnly(c, 2); return 'ok'; } catch (e) { return e.errno ?? e.message; } };
const out = {
  plain: await run(target),
  marked: await run({ ...target, fwmark: 7 }),
  otherMark: await run({ ...target, fwmark: 8 }),
  sourcePort: await run({ ...target, bind_port: 40123 }),
  boundToLo: await run({ ...target, bind_if: 'lo' }),
  boundElsewhere: await run({ ...target, bind_if: 'eth0' }),
  refused: await run({ ...target, connect_port: 1 }),
};
await new Promise((r) => setTimeout(r, 100));
out.seenPorts = seen;
// HTTP_GET: a 3 MB body (read in several runs), a silent server, the same mark and interface.
const { createHash } = await import('node:crypto');
const http = await import('node:http');
const { fetchUrl } = await import(${JSON.stringify(httpCheck)});
const body = Buffer.alloc(3_000_000, 'k');
const web = http.createServer((q, r) => r.end(body));
await new Promise((r) => web.listen(0, '127.0.0.1', r));
const silent = net.createServer((c) => c.on('data', () => undefined));
await new Promise((r) => silent.listen(0, '127.0.0.1', r));
const get = async (conn) => fetchUrl({ conn: { connect_ip: '127.0.0.1', connect_timeout: 1, ...conn }, tls: false, protocol: '1.0', sni: false }, { path: '/', status_code: [] }, { wantDigest: true });
const big = await get({ connect_port: web.address().port });
out.http = { ok: big.ok, digest: big.digest, expected: createHash('md5').update(body).digest('hex') };
out.httpMarked = (await get({ connect_port: web.address().port, fwmark: 7 })).msg;
out.httpBoundElsewhere = (await get({ connect_port: web.address().port, bind_if: 'eth0' })).ok;
out.httpSilent = (await get({ connect_port: silent.address().port })).msg;
console.log(JSON.stringify(out));
srv.close();
web.close();
silent.close();
`;

describe('TCP_CHECK connect and HTTP_GET exchange on the addon', { skip }, () => {
  let ns: Netns;
  before(() => {
    ns = new Netns('ktcp').create(1);
    // Marked packets are unreachable: the rule must come before the local table's (pref 0).
    for (const args of [
      ['rule', 'del', 'pref', '0', 'lookup', 'local'],
      ['rule', 'add', 'pref', '100', 'lookup', 'local'],
      ['rule', 'add', 'pref', '10', 'fwmark', '7', 'unreachable'],
    ]) {
      const r = ns.exec('ip', args);
      assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
    }
  });
  after(() => ns?.destroy());

  it('sets the mark, the source port and the interface, and reports refusals', () => {
    assert.equal(keelNetError()?.message, undefined, 'the native addon loads');
    const r = ns.exec(process.execPath, ['--input-type=module', '-e', SCRIPT], { timeoutMs: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    assert.equal(out.plain, 'ok');
    assert.equal(out.marked, 'ENETUNREACH', 'fwmark 7 hits the unreachable rule');
    assert.equal(out.otherMark, 'ok');
    assert.equal(out.sourcePort, 'ok');
    assert.ok((out.seenPorts as number[]).includes(40123), `source ports seen: ${String(out.seenPorts)}`);
    assert.equal(out.boundToLo, 'ok');
    assert.notEqual(out.boundElsewhere, 'ok', 'bound to eth0, 127.0.0.1 is not reachable');
    assert.equal(out.refused, 'ECONNREFUSED');
    const h = out.http as { ok: boolean; digest: string; expected: string };
    assert.equal(h.ok, true);
    assert.equal(h.digest, h.expected, 'the whole 3 MB body was read and hashed');
    assert.equal(out.httpMarked, 'Connection failed', 'fwmark 7 hits the unreachable rule');
    assert.equal(out.httpBoundElsewhere, false);
    assert.equal(out.httpSilent, 'Timeout WEB read');
  });
});
