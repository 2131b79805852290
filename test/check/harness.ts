// Running the real checker engine against real servers on loopback, and waiting for what it says.
import { loadConfigText } from '../../src/config/build.js';
import { CheckerEngine, type EngineSnapshot, type RsEvent } from '../../src/check/engine.js';

export interface Seen extends RsEvent {
  /** Milliseconds since the engine started. */
  at: number;
}

export class Run {
  readonly engine: CheckerEngine;
  readonly events: Seen[] = [];
  readonly logs: string[] = [];
  readonly t0 = performance.now();

  constructor(text: string, opts: { bootstrapDelay?: number } = {}) {
    const r = loadConfigText(text);
    const errors = r.diagnostics.list.filter((d) => d.severity === 'error');
    if (errors.length) throw new Error(`test config has errors: ${errors.map((d) => d.message).join('; ')}`);
    this.engine = new CheckerEngine({ bootstrapDelay: opts.bootstrapDelay ?? 0.05, effects: 'emit', random: () => 0 });
    this.engine.on('rs', (e: RsEvent) => this.events.push({ ...e, at: this.now() }));
    this.engine.on('log', (m: string) => this.logs.push(m));
    this.engine.start(r.config);
  }

  now(): number {
    return performance.now() - this.t0;
  }

  /** Wait until `pred` holds (checked every 20 ms), failing after `ms`. */
  async until(pred: () => boolean, ms: number, what: string): Promise<void> {
    const end = performance.now() + ms;
    while (!pred()) {
      if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; logs:\n${this.logs.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  event(rs: string, up: boolean): Seen | undefined {
    return this.events.find((e) => e.rs.endsWith(rs) && e.up === up);
  }

  snapshot(): EngineSnapshot {
    return this.engine.snapshot();
  }

  stop(): void {
    this.engine.stop();
  }
}

/** A virtual server on 10.255.0.1:80 with real servers on loopback. */
export function vsConfig(body: string, extra = ''): string {
  return `
global_defs {
  checker_log_all_failures
}
virtual_server 10.255.0.1 80 {
  delay_loop 0.5
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  ${extra}
  ${body}
}`;
}
