// The pure parts of the checkers: request bytes, status ranges, body digest, regex offsets, DNS
// query bytes, UDP reply patterns, SMTP replies, ICMP checksums, genhash's option errors.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import dnsPacket from 'dns-packet';
import { encodeQuery, judgeReply } from '../../../src/check/dns.js';
import { fileVerdict } from '../../../src/check/file.js';
import { runGenhash } from '../../../src/check/genhash.js';
import { buildRequest, judgeResponse, regexMatches, ResponseReader, statusMatches } from '../../../src/check/http-response.js';
import { echoRequest, icmpChecksum, parseEchoReply } from '../../../src/check/ping.js';
import { smtpReply } from '../../../src/check/smtp.js';
import { parseReplyPattern, replyMatches } from '../../../src/check/udp.js';

describe('HTTP request bytes', () => {
  it('1.0 has no Connection header; Host is address:port', () => {
    assert.equal(buildRequest('/health', '1.0', undefined, '10.0.0.2', 8080), 'GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.2:8080\r\n\r\n');
  });
  it('1.0C and 1.1 add Connection: close; a virtualhost replaces address and port', () => {
    assert.equal(buildRequest('/', '1.0C', 'www.example.com', '10.0.0.2', 80), 'GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n');
    assert.equal(buildRequest('/', '1.1', undefined, 'fd00::2', 80), 'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [fd00::2]:80\r\n\r\n');
  });
});

describe('HTTP status codes', () => {
  it('default 200-299; lists and ranges', () => {
    assert.equal(statusMatches([], 204), true);
    assert.equal(statusMatches([], 302), false);
    assert.equal(statusMatches([[200, 200], [301, 302]], 302), true);
    assert.equal(statusMatches([[200, 200], [301, 302]], 201), false);
    assert.equal(statusMatches([[100, 599]], 0), false, 'no status line');
  });
});

function read(raw: string | Buffer, digest = true, regex?: Parameters<typeof regexMatches>[1]): ResponseReader {
  const r = new ResponseReader(digest, regex);
  const b = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
  // Feed in awkward pieces: the header end split across reads.
  for (let i = 0; i < b.length; i += 7) r.feed(b.subarray(i, i + 7));
  return r;
}

describe('HTTP response reading', () => {
  const md5 = (s: string): string => createHash('md5').update(s, 'latin1').digest('hex');

  it('digest is the MD5 of the body after the blank line, limited to Content-Length', () => {
    const r = read('HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello-extra');
    assert.equal(r.status, 200);
    assert.equal(r.digest(), md5('hello'));
  });

  it('without Content-Length the whole stream to EOF is hashed, chunk framing included', () => {
    const body = '5\r\nhello\r\n0\r\n\r\n';
    const r = read(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    assert.equal(r.digest(), md5(body));
  });

  it('judging: empty, status, digest, regex in that order', () => {
    const url = { status_code: [] as [number, number][], digest: md5('ok'), regex_no_match: false };
    assert.deepEqual(judgeResponse(read(''), url), { ok: false, msg: 'Read, no data received from ' });
    assert.deepEqual(judgeResponse(read('HTTP/1.0 500 X\r\n\r\nok'), url), { ok: false, msg: 'HTTP status code error to' });
    assert.deepEqual(judgeResponse(read('HTTP/1.0 200 X\r\n\r\nko'), url), { ok: false, msg: 'MD5 digest error to' });
    assert.deepEqual(judgeResponse(read('HTTP/1.0 200 X\r\n\r\nok'), url), { ok: true, msg: 'MD5 digest' });
    const rx = { status_code: [] as [number, number][], regex: 'st[a-z]+s', regex_no_match: false };
    assert.deepEqual(judgeResponse(read('HTTP/1.0 200 X\r\n\r\nstatus', false, { regex: 'st[a-z]+s' }), rx), { ok: true, msg: 'Regex match' });
    assert.deepEqual(judgeResponse(read('HTTP/1.0 200 X\r\n\r\nstatus', false, { regex: 'st[a-z]+s' }), { ...rx, regex_no_match: true }), { ok: false, msg: 'Regex match failed' });
  });

  it('regex offsets bound where a match may start', () => {
    assert.equal(regexMatches('xxxxOKxx', { regex: 'OK', minOffset: 5 }), false);
    assert.equal(regexMatches('xxxxOKxxOK', { regex: 'OK', minOffset: 5 }), true);
    assert.equal(regexMatches('xxxxOK', { regex: 'OK', maxOffset: 4 }), false);
    assert.equal(regexMatches('xxxxOK', { regex: 'OK', maxOffset: 5 }), true);
    assert.equal(regexMatches('ok', { regex: 'OK', options: ['caseless'] }), true);
  });
});

describe('DNS query', () => {
  it('encodes a recursive query dns-packet reads back', () => {
    const q = dnsPacket.decode(encodeQuery(0x1234, 'www.example.org', 'AAAA'));
    assert.equal(q.id, 0x1234);
    assert.equal(q.flags! & dnsPacket.RECURSION_DESIRED, dnsPacket.RECURSION_DESIRED);
    assert.deepEqual(q.questions, [{ name: 'www.example.org', type: 'AAAA', class: 'IN' }]);
    assert.deepEqual(dnsPacket.decode(encodeQuery(1, '', 'SOA')).questions, [{ name: '.', type: 'SOA', class: 'IN' }]);
  });
  it('judges replies: other ids ignored, rcode 0 success, else failure', () => {
    const reply = (id: number, rcode: number): Buffer => dnsPacket.encode({ type: 'response', id, flags: rcode, questions: [] });
    assert.equal(judgeReply(5, reply(6, 0)), undefined);
    assert.equal(judgeReply(5, reply(5, 0))?.ok, true);
    assert.equal(judgeReply(5, reply(5, 2))?.ok, false);
  });
});

describe('UDP reply pattern', () => {
  it("'x' nibbles are wildcards; lengths bound the reply", () => {
    assert.deepEqual(parseReplyPattern('a1x2'), { data: Buffer.from([0xa1, 0x02]), care: Buffer.from([0xff, 0x0f]) });
    const c = { reply: 'a1x2', min_reply_length: 2, max_reply_length: 4 };
    assert.equal(replyMatches(c, Buffer.from([0xa1, 0xf2, 0])), true);
    assert.equal(replyMatches(c, Buffer.from([0xa1, 0xf3])), false);
    assert.equal(replyMatches(c, Buffer.from([0xa1])), false);
  });
});

describe('SMTP replies', () => {
  it('waits for the last line of a multi-line reply', () => {
    assert.equal(smtpReply('220-hello\r\n'), undefined);
    assert.equal(smtpReply('220-hello\r\n220 ready\r\n'), 220);
    assert.equal(smtpReply('250 ok\r\n'), 250);
  });
});

describe('ICMP echo', () => {
  it('a request checksums to zero and a reply is recognised after the IP header', () => {
    const req = echoRequest(false, 77, 5);
    assert.equal(icmpChecksum(req), 0);
    const reply = Buffer.concat([Buffer.from([0x45, ...new Array(19).fill(0)]), Buffer.from(req)]);
    reply[20] = 0;
    assert.deepEqual(parseEchoReply(false, reply), { id: 77, seq: 5 });
  });
});

describe('FILE_CHECK values', () => {
  it('weight 0: any non-zero value is down; otherwise value*weight, reversed, down at -2^31', () => {
    assert.deepEqual(fileVerdict(0, 0, false), { up: true, weight: 0 });
    assert.deepEqual(fileVerdict(3, 0, false), { up: false, weight: 0 });
    assert.deepEqual(fileVerdict(3, 2, true), { up: true, weight: -6 });
    assert.equal(fileVerdict(-2147483648, 1, false).up, false);
  });
});

describe('genhash options', () => {
  const run = async (argv: string[]): Promise<{ rc: number; err: string }> => {
    const out = new PassThrough();
    const err = new PassThrough();
    let e = '';
    err.on('data', (b: Buffer) => { e += b.toString(); });
    const rc = await runGenhash(argv, out, err);
    return { rc, err: e };
  };
  it('exits 1 with usage on bad or missing options, naming the problem', async () => {
    assert.match((await run(['-s', 'nope', '-p', '80', '-u', '/'])).err, /^server should be an IP, not nope\nUsage:/);
    assert.match((await run(['-s', '127.0.0.1', '-p', '0', '-u', '/'])).err, /invalid port number '0'/);
    assert.match((await run(['-s', '127.0.0.1', '-p', '80', '-u', '/', '-P', '2'])).err, /invalid HTTP protocol version '2'/);
    assert.match((await run(['-x'])).err, /Unknown option -x/);
    assert.equal((await run(['-s', '127.0.0.1', '-p', '80'])).rc, 1, 'url missing');
  });
});
