// TCP_CHECK: a connect that completes within connect_timeout is a success (check_tcp.c).
import type { TcpChecker } from '../config/blocks/checkers.js';
import { ConnectError, connectOnly, type ProbeResult } from './probe.js';

export async function probeTcp(c: TcpChecker): Promise<ProbeResult> {
  try {
    await connectOnly(c, c.connect_timeout);
    return { ok: true, msg: 'TCP connection success' };
  } catch (e) {
    const timeout = e instanceof ConnectError && e.timeout;
    return { ok: false, msg: timeout ? 'TCP connection timeout' : `TCP connection failed${e instanceof ConnectError && e.errno ? ` (${e.errno})` : ''}` };
  }
}
