// When a checker's attempts turn into a verdict, and when it runs next: keepalived's per-checker
// retry counting (check_tcp.c tcp_epilog, check_udp.c/check_dns.c/check_ping.c, check_http.c
// epilog/timeout_epilog, check_misc.c misc_check_child_thread). Pure: the caller performs the
// attempt, feeds its outcome here, reports any verdict to the verdict model and arms a timer.

/** The part of a checker's state keepalived keeps in checker_t. */
export interface RunState {
  /** The checker's own view: its last verdict (false from the start in alpha mode). */
  isUp: boolean;
  /** Whether a verdict has been reached at least once. */
  hasRun: boolean;
  /** Retries done since the last verdict. */
  retryIt: number;
}

export interface RetryTiming {
  retry: number;
  /** Seconds. */
  delay_before_retry: number;
  /** Seconds. */
  delay_loop: number;
}

/** What to do after one attempt. */
export interface Step {
  /** Tell the verdict model (update_svr_checker_state) this result; undefined: say nothing. */
  report?: boolean;
  /** The failure is final after retries (keepalived then says "failed after N retries"). */
  afterRetries?: number;
  /** Seconds until the next attempt. */
  delay: number;
}

/**
 * keepalived sets retry_it = retry for every checker at start: the first failure counts at once
 * (no retries before the first verdict).
 */
export function initialRunState(alpha: boolean, retry: number): RunState {
  return { isUp: !alpha, hasRun: false, retryIt: retry };
}

/**
 * TCP_CHECK (tcp_epilog) and SMTP_CHECK (smtp_final): retries are counted whatever the checker's
 * state, so a checker that is already down still walks through delay_before_retry between attempts.
 */
export function tcpStep(s: RunState, ok: boolean, t: RetryTiming): Step {
  if (ok || s.retryIt >= t.retry) {
    s.retryIt = 0;
    const step: Step = { delay: t.delay_loop };
    if (ok && (!s.isUp || !s.hasRun)) step.report = true;
    else if (!ok && (s.isUp || !s.hasRun)) {
      step.report = false;
      if (t.retry && s.hasRun) step.afterRetries = t.retry;
    }
    return step;
  }
  s.retryIt++;
  return { delay: t.delay_before_retry };
}

/**
 * UDP_CHECK, PING_CHECK and DNS_CHECK: retries only while the checker is up (or has not run); a
 * checker known to be down is simply tried again after delay_loop.
 */
export function udpStep(s: RunState, ok: boolean, t: RetryTiming): Step {
  const live = s.isUp || !s.hasRun;
  if (ok || (live && s.retryIt >= t.retry)) {
    s.retryIt = 0;
    const step: Step = { delay: t.delay_loop };
    if (ok && (!s.isUp || !s.hasRun)) step.report = true;
    else if (!ok && live) {
      step.report = false;
      if (t.retry && s.hasRun) step.afterRetries = t.retry;
    }
    return step;
  }
  if (live) {
    s.retryIt++;
    return { delay: t.delay_before_retry };
  }
  return { delay: t.delay_loop };
}

// ---------------------------------------------------------------------------------------------
// HTTP_GET / SSL_GET: URLs are fetched one per attempt; all must pass for "up", one failing
// (after its retries) means "down", and while down only the failed URL is polled.

export interface HttpRunState extends RunState {
  /** Index of the URL the next attempt fetches. */
  urlIt: number;
  /** The URL that failed, while the checker is down on it; -1 when none. */
  failedUrl: number;
}

export function initialHttpRunState(alpha: boolean, retry: number): HttpRunState {
  return { ...initialRunState(alpha, retry), urlIt: 0, failedUrl: -1 };
}

export interface HttpStep extends Step {
  /** Fast recovery: run again at once rather than after `delay`. */
  immediate?: boolean;
}

/**
 * One URL fetched (`ok`) or failed. Reproduces check_http.c: a failure while up (or before the
 * first verdict) is a retry — has_run becomes true first, so the very first failure already
 * counts as "after retries"; retry_it beyond `retry` makes the checker fail on that URL; a failure
 * while down just waits max(delay_before_retry, delay_loop) and polls the failed URL again.
 */
export function httpStep(s: HttpRunState, ok: boolean, urls: number, t: RetryTiming): HttpStep {
  const step: HttpStep = { delay: 0 };
  let method: 'new' | 'retry' | 'failed';
  if (ok) method = 'new';
  else if (s.isUp || !s.hasRun) {
    s.hasRun = true;
    method = 'retry';
  } else method = 'failed';

  let done = false;
  if (method === 'new') {
    done = s.urlIt >= urls - 1;
    s.urlIt = done ? -1 : s.urlIt + 1;
    s.retryIt = 0;
  } else if (method === 'retry') s.retryIt++;

  if (method === 'new' && done && s.failedUrl === -1) {
    if (!s.isUp || !s.hasRun) step.report = true;
    s.urlIt = 0;
    s.retryIt = 0;
  } else if (method === 'retry' && s.retryIt > t.retry) {
    if (s.isUp) {
      step.report = false;
      if (t.retry) step.afterRetries = s.retryIt - 1;
    }
    s.failedUrl = s.urlIt;
  } else if (method === 'new' && s.failedUrl !== -1) {
    s.failedUrl = -1;
    s.urlIt = 0;
    s.retryIt = 0;
  }

  if (method === 'new') step.delay = t.delay_loop;
  else if (s.failedUrl !== -1) step.delay = Math.max(t.delay_before_retry, t.delay_loop);
  else step.delay = t.delay_before_retry;
  return step;
}

/**
 * After the verdict model has taken an HTTP step's report: keepalived marks the checker as run,
 * re-arms "first check" retry counting while it has not, and decides fast recovery.
 */
export function httpAfterReport(s: HttpRunState, step: HttpStep, ok: boolean, t: RetryTiming, fastRecovery: boolean): void {
  if (step.report === true) s.hasRun = true;
  if (ok && !s.hasRun) s.retryIt = t.retry;
  if (fastRecovery && (!s.hasRun || (!s.isUp && s.failedUrl === -1))) step.immediate = true;
}

// ---------------------------------------------------------------------------------------------
// MISC_CHECK.

export type MiscOutcome =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: string }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

export interface MiscRunState extends RunState {
  /** Last exit status acted on (keepalived's last_exit_code); -1 before any. */
  lastExit: number;
  /** This checker's share of the real server's effective weight (misc_dynamic). */
  curWeight: number;
}

export function initialMiscRunState(alpha: boolean, retry: number): MiscRunState {
  return { ...initialRunState(alpha, retry), lastExit: -1, curWeight: 0 };
}

export interface MiscStep extends Step {
  /** True when the script's result counts as success. */
  success: boolean;
  /** "succeeded", "failed" or "timed out"; undefined when nothing is logged. */
  exitType?: string;
  /** Log only (a failure that will be retried, with log_all_failures). */
  messageOnly?: boolean;
  /** New effective weight delta for the real server: apply `weightDelta` via update_svr_wgt. */
  weightDelta?: number;
  /** Weight taken off the real server without a weight update (final failure). */
  weightDrop?: number;
}

/**
 * A MISC_CHECK result. `iweight` is the real server's configured weight: with misc_dynamic an
 * exit status of 2..255 sets the effective weight to status - 2.
 */
export function miscStep(s: MiscRunState, o: MiscOutcome, dynamic: boolean, iweight: number, t: RetryTiming, logAll: boolean): MiscStep {
  const step: MiscStep = { success: false, delay: 0 };
  const live = s.isUp || !s.hasRun;
  const good = o.kind === 'exit' && (o.code === 0 || (dynamic && o.code >= 2 && o.code <= 255));
  if (good) {
    const code = (o as { code: number }).code;
    if (code !== s.lastExit) {
      const next = code ? code - 2 - iweight : 0;
      step.weightDelta = next - s.curWeight;
      s.curWeight = next;
      s.lastExit = code;
    }
    if (!s.isUp || !s.hasRun) {
      step.exitType = 'succeeded';
      step.success = true;
      step.report = true;
    }
    s.retryIt = 0;
  } else if (o.kind !== 'error' && live) {
    step.exitType = o.kind === 'timeout' ? 'timed out' : 'failed';
    if (s.retryIt < t.retry) {
      s.retryIt++;
      if (logAll) step.messageOnly = true;
      else delete step.exitType;
    } else {
      s.retryIt = 0;
      if (o.kind === 'exit') {
        step.weightDrop = s.curWeight;
        s.curWeight = 0;
        s.lastExit = o.code;
      }
    }
    if (step.exitType !== undefined && !step.messageOnly) step.report = false;
  }
  step.delay = s.retryIt ? t.delay_before_retry : t.delay_loop;
  return step;
}

/** keepalived's wording of a MISC_CHECK failure's retry position (", will do 2 retries", ...). */
export function miscRetryText(s: RunState, retry: number, success: boolean): string {
  if (success) return '';
  if (!retry) return ' with retry disabled';
  if (s.retryIt === 1) return `, will do ${retry} ${retry === 1 ? 'retry' : 'retries'}`;
  if (s.retryIt > 1) return ` on retry ${s.retryIt - 1}/${retry}`;
  return ` after ${retry} ${retry === 1 ? 'retry' : 'retries'}`;
}
