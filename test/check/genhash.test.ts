// `keel genhash` against keepalived's own genhash on the same servers: same digests, same
// failure message, same exit codes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runGenhash } from '../../src/check/genhash.js';
import { which } from '../helpers/env.js';

let srv: http.Server;
let port = 0;

before(async () => {
  srv = http.createServer((q, r) => {
    if (q.url === '/chunked') {
      r.write('first part\n');
      setTimeout(() => r.end('second part\n'), 20);
    } else r.end(`plain body for ${q.url} via HTTP/${q.httpVersion}\n`);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  port = (srv.address() as net.AddressInfo).port;
});
after(() => srv.close());

/** keepalived's genhash, run asynchronously: the servers live in this process's event loop. */
function theirGenhash(gh: string, args: string[]): Promise<{ stdout: string; status: number }> {
  return new Promise((resolve) => {
    execFile(gh, args, { timeout: 10000, encoding: 'utf8' }, (err, stdout) => {
      resolve({ stdout, status: err ? (typeof err.code === 'number' ? err.code : -1) : 0 });
    });
  });
}

async function keel(argv: string[]): Promise<{ rc: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => { text += b.toString(); });
  const rc = await runGenhash(argv, out, new PassThrough());
  return { rc, out: text };
}

describe('keel genhash', () => {
  it('prints the same digest as keepalived genhash for HTTP/1.0, 1.0C and 1.1 (chunked bodies hashed raw)', async (t) => {
    const gh = which('genhash');
    if (!gh) return t.skip('needs keepalived\'s genhash (apt-get install keepalived)');
    for (const [url, proto] of [['/', '1.0'], ['/x', '1.0C'], ['/chunked', '1.1'], ['/chunked', '1.0']] as const) {
      const args = ['-s', '127.0.0.1', '-p', String(port), '-u', url, '-P', proto];
      const theirs = await theirGenhash(gh, args);
      const ours = await keel(args);
      assert.equal(ours.out, theirs.stdout, `${url} ${proto}`);
      assert.equal(ours.rc, theirs.status);
      assert.match(ours.out, /^[0-9a-f]{32}\n$/);
    }
  });

  it('a refused connection: the same message and exit code 0', async (t) => {
    const gh = which('genhash');
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const args = ['-s', '127.0.0.1', '-p', String(closed), '-u', '/'];
    const ours = await keel(args);
    assert.deepEqual(ours, { rc: 0, out: 'Connection failed\n' });
    if (!gh) return t.diagnostic('keepalived genhash absent: not compared');
    const theirs = await theirGenhash(gh, args);
    assert.equal(theirs.stdout, ours.out);
  });
});
