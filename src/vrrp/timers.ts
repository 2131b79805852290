// VRRP timer arithmetic, in integer microseconds as keepalived keeps it (TIMER_HZ = 1,000,000),
// truncating where keepalived's unsigned arithmetic truncates, so a simulated failover takes
// exactly as long as a real one.

/** Microseconds per second (keepalived's TIMER_HZ). */
export const US_PER_SECOND = 1_000_000;
/** Microseconds per centisecond: the unit of a VRRPv3 advert interval. */
export const US_PER_CENTI = 10_000;

/**
 * keepalived's skew calculation for `value` (256 - priority for the skew, 1 for the minimum skew).
 * VRRPv2 (RFC 3768): value/256 seconds whatever the advert interval.
 * VRRPv3 (RFC 5798): value x Master_Adver_Interval / 256, the interval taken in whole centiseconds.
 */
export function skewCalcUs(version: 2 | 3, value: number, masterAdverIntUs: number): number {
  if (version === 3) {
    const centis = Math.trunc(masterAdverIntUs / US_PER_CENTI);
    // value * centis * 10,000 / 256 == value * centis * 625 / 16, as keepalived computes it.
    return Math.trunc((value * centis * 625) / 16);
  }
  return Math.trunc((value * US_PER_SECOND) / 256);
}

/** Skew_Time for an instance whose effective priority is `priority`. */
export function skewUs(version: 2 | 3, priority: number, masterAdverIntUs: number): number {
  return skewCalcUs(version, 256 - priority, masterAdverIntUs);
}

/** The smallest skew (priority 255): keepalived's VRRP_TIMER_SKEW_MIN. */
export function skewMinUs(version: 2 | 3, masterAdverIntUs: number): number {
  return skewCalcUs(version, 1, masterAdverIntUs);
}

/** Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time. */
export function masterDownIntervalUs(version: 2 | 3, priority: number, masterAdverIntUs: number, downTimerAdverts: number): number {
  return downTimerAdverts * masterAdverIntUs + skewUs(version, priority, masterAdverIntUs);
}

/** Seconds (as written in keepalived.conf) to whole microseconds. */
export function secondsToUs(seconds: number): number {
  return Math.round(seconds * US_PER_SECOND);
}

/** A time in microseconds as seconds with 6 decimals (for traces). */
export function formatUs(us: number): string {
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(us);
  return `${sign}${Math.trunc(a / US_PER_SECOND)}.${String(a % US_PER_SECOND).padStart(6, '0')}`;
}
