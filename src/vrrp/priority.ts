// Tracking weights and keepalived's clamping of the effective priority.
//
// keepalived keeps a running total (base priority plus the weights of the tracked objects that
// currently count) and a count of weight-0 objects that are failing (num_script_if_fault). keel
// computes both from the current status of every tracked object, which gives the same numbers
// and cannot drift.

/** What an instance (or its sync group) can track. 'address': the instance has a source address. */
export type TrackerKind = 'interface' | 'script' | 'file' | 'process' | 'bfd' | 'address';

export interface TrackerDef {
  kind: TrackerKind;
  name: string;
  /** 0: failure puts the instance in FAULT. Otherwise added/subtracted as keepalived does. */
  weight: number;
  /** `reverse`: keepalived's weight_multiplier of -1. */
  reverse: boolean;
  /** Inherited from the sync group (for messages only). */
  fromGroup?: boolean;
}

/**
 * The status of a tracked object. Boolean kinds: true = up / succeeded / quorum reached / BFD up.
 * track_file: the number read from the file. 'init': a vrrp_script that has not reported yet.
 */
export type TrackerValue = boolean | number | 'init';

export const PRIO_OWNER = 255;
export const PRIO_STOP = 0;
/** keepalived clamps a tracked priority into 1..254 (the owner's 255 never moves). */
export const PRIO_MIN = 1;
export const PRIO_MAX_TRACKED = 254;
/** A track_file status at or below this is a FAULT. */
const FILE_FAULT = -254;
const FILE_MAX = 253;

export function trackerKey(kind: TrackerKind, name: string): string {
  return `${kind}:${name}`;
}

/** The default status of an object nobody has reported on: interfaces up, files 0, scripts not run. */
export function defaultTrackerValue(kind: TrackerKind): TrackerValue {
  if (kind === 'script') return 'init';
  if (kind === 'file') return 0;
  return true;
}

export interface Contribution {
  /** A weight-0 object failing (or a file at -254): the instance must be in FAULT. */
  fault: boolean;
  /** A weight-0 script that has not reported yet: the instance waits in FAULT without saying so. */
  init: boolean;
  /** What it adds to the total priority. */
  delta: number;
}

const NONE: Contribution = { fault: false, init: false, delta: 0 };
const FAULT: Contribution = { fault: true, init: false, delta: 0 };
const INIT: Contribution = { fault: false, init: true, delta: 0 };

/** Why a tracker value is unusable for its kind, or undefined when it is fine. */
export function invalidTrackerValue(kind: TrackerKind, value: TrackerValue): string | undefined {
  if (kind === 'file') return typeof value === 'number' && Number.isInteger(value) ? undefined : `track_file status must be an integer, got ${String(value)}`;
  if (value === 'init') return kind === 'script' ? undefined : `only a vrrp_script can be in its initial state, not a ${kind}`;
  return typeof value === 'boolean' ? undefined : `${kind} status must be up (true) or down (false), got ${String(value)}`;
}

/**
 * What one tracked object contributes, as keepalived's initialise_*_tracking and the update
 * handlers (process_script_update_priority, process_update_vrrp_track_file_status, interface
 * up/down) compute it.
 */
export function contribution(def: TrackerDef, value: TrackerValue): Contribution {
  const mult = def.reverse ? -1 : 1;
  if (def.kind === 'file') {
    const v = typeof value === 'number' ? value : 0;
    if (def.weight === 0) return (v !== 0) === (mult === 1) ? FAULT : NONE;
    const s = Math.max(FILE_FAULT, Math.min(FILE_MAX, v * def.weight * mult));
    return s === FILE_FAULT ? FAULT : s === 0 ? NONE : { fault: false, init: false, delta: s };
  }
  if (value === 'init') return def.weight === 0 ? INIT : NONE;
  const ok = value === true;
  if (def.weight === 0) return ok === def.reverse ? FAULT : NONE;
  // A positive weight counts while the object is up, a negative one while it is down.
  const w = ok ? Math.max(def.weight, 0) : Math.min(def.weight, 0);
  return w === 0 ? NONE : { fault: false, init: false, delta: w * mult };
}

/** keepalived's vrrp_set_effective_priority clamping. */
export function clampPriority(base: number, total: number): number {
  if (base === PRIO_OWNER) return PRIO_OWNER;
  if (total < PRIO_MIN) return PRIO_MIN;
  if (total >= PRIO_OWNER) return PRIO_MAX_TRACKED;
  return total;
}

export interface PriorityView {
  /** base + the weights that count now (keepalived's total_priority). */
  total: number;
  effective: number;
  /** Weight-0 objects failing (num_script_if_fault). */
  fault: number;
  /** Weight-0 scripts not yet run (num_script_init). */
  init: number;
}

export type TrackerValues = Readonly<Record<string, TrackerValue>>;

export function valueOf(values: TrackerValues, def: TrackerDef): TrackerValue {
  const v = values[trackerKey(def.kind, def.name)];
  return v === undefined ? defaultTrackerValue(def.kind) : v;
}

/** The priority and fault state the tracked objects give an instance of base priority `base`. */
export function evaluate(base: number, defs: readonly TrackerDef[], values: TrackerValues): PriorityView {
  let total = base;
  let fault = 0;
  let init = 0;
  for (const d of defs) {
    const c = contribution(d, valueOf(values, d));
    if (c.fault) fault++;
    else if (c.init) init++;
    // The owner's priority never moves; keepalived does not even add the weights up.
    else if (base !== PRIO_OWNER) total += c.delta;
  }
  return { total, effective: clampPriority(base, total), fault, init };
}

/** The log line keepalived writes when a tracked object holds an instance in FAULT at start-up. */
export function faultReason(instance: string, def: TrackerDef, value: TrackerValue, family: 'inet' | 'inet6'): string {
  switch (def.kind) {
    case 'interface': return `(${instance}): entering FAULT state (interface ${def.name} down)`;
    case 'script': return `(${instance}): entering FAULT state due to script ${def.name}`;
    case 'file': {
      const v = typeof value === 'number' ? value : 0;
      const status = def.weight === 0 ? FILE_FAULT : Math.max(FILE_FAULT, v * def.weight * (def.reverse ? -1 : 1));
      return `(${instance}): entering FAULT state (tracked file ${def.name} has status ${status})`;
    }
    case 'process': return `(${instance}) entering FAULT state (tracked process ${def.name} quorum not achieved)`;
    case 'bfd': return `(${instance}) entering FAULT state (tracked BFD ${def.name} down)`;
    case 'address': return `(${instance}) entering FAULT state (no IPv${family === 'inet' ? 4 : 6} address for interface)`;
  }
}
