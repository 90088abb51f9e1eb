/**
 * The lease model: the countdown against the server's clock, and one warning per stop time,
 * shown by the pages open when it came and by the first page otherwise.
 */
import { ILeaseAPI } from '../api';
import { LeaseModel } from '../lease';
import { ILease, ILeaseWarning } from '../types';

const MINUTE = 60000;

/** A server whose lease the test sets; it records the warnings pages say they showed. */
class ScriptedLease implements ILeaseAPI {
  constructor(public clock: { now: number }) {}
  stopAt = 0;
  warnMinutes = 15;
  delivered = new Set<string>();
  extended: number[] = [];
  reads = 0;

  current(): ILease {
    const now = this.clock.now;
    const stopAt = new Date(this.stopAt).toISOString();
    const warnAt = this.stopAt - this.warnMinutes * MINUTE;
    const warning: ILeaseWarning | null =
      now >= warnAt
        ? {
            stop_at: stopAt,
            message:
              '2 pip packages installed since the instance started would be lost.',
            at_risk: { pip: 2, conda: 0, apt: 0, since: 'start' },
            delivered: this.delivered.has(stopAt)
          }
        : null;
    return {
      enabled: true,
      type: 'TIMING',
      stop_at: stopAt,
      estimate: false,
      duration_ms: 4 * 60 * MINUTE,
      warn_at: new Date(warnAt).toISOString(),
      warn_before_stop_minutes: this.warnMinutes,
      server_time: new Date(now).toISOString(),
      checked_at: new Date(now).toISOString(),
      refresh_seconds: 300,
      warning,
      last_error: null
    };
  }

  async lease(): Promise<ILease> {
    this.reads += 1;
    return this.current();
  }

  async extend(hours: number): Promise<ILease> {
    this.extended.push(hours);
    this.stopAt = this.clock.now + hours * 60 * MINUTE;
    return this.current();
  }

  async warningShown(stopAt: string): Promise<ILease> {
    this.delivered.add(stopAt);
    return this.current();
  }
}

function page(
  server: ScriptedLease,
  clock: { now: number }
): {
  model: LeaseModel;
  warnings: ILeaseWarning[];
} {
  const model = new LeaseModel({
    api: server,
    autoStart: false,
    tick: 1000000,
    now: () => clock.now
  });
  const warnings: ILeaseWarning[] = [];
  model.warn.connect((_, warning) => warnings.push(warning));
  return { model, warnings };
}

describe('LeaseModel', () => {
  const start = Date.parse('2026-12-03T08:00:00Z');
  let clock: { now: number };
  let server: ScriptedLease;

  beforeEach(() => {
    clock = { now: start };
    server = new ScriptedLease(clock);
    server.stopAt = start + 16 * MINUTE;
  });

  it('counts down against the server clock and is not near the stop at 16 minutes', async () => {
    const { model, warnings } = page(server, clock);
    await model.refresh();
    expect(model.secondsLeft()).toBe(16 * 60);
    expect(model.nearStop).toBe(false);
    clock.now += 2 * MINUTE;
    expect(model.secondsLeft()).toBe(14 * 60);
    expect(model.nearStop).toBe(true);
    expect(warnings).toHaveLength(0); // until the server says so
    model.dispose();
  });

  it('warns each page open when the warning came, once, and not a page opened later', async () => {
    const first = page(server, clock);
    const second = page(server, clock);
    await first.model.refresh();
    await second.model.refresh();
    clock.now += 2 * MINUTE;
    await first.model.refresh();
    await second.model.refresh();
    await first.model.refresh(); // a later read does not warn again
    expect(first.warnings).toHaveLength(1);
    expect(second.warnings).toHaveLength(1);
    expect(first.warnings[0].message).toContain('2 pip packages');
    expect(server.delivered.size).toBe(1);

    const later = page(server, clock); // a reload after the warning
    await later.model.refresh();
    expect(later.warnings).toHaveLength(0);
    expect(later.model.nearStop).toBe(true); // the countdown still shows
    for (const item of [first, second, later]) {
      item.model.dispose();
    }
  });

  it('warns a page opened after the warning time when no page showed it', async () => {
    clock.now += 2 * MINUTE;
    const late = page(server, clock);
    await late.model.refresh();
    expect(late.warnings).toHaveLength(1);
    late.model.dispose();
  });

  it('an extension moves the stop, and the warning comes again only for the new stop', async () => {
    clock.now += 2 * MINUTE;
    const { model, warnings } = page(server, clock);
    await model.refresh();
    expect(warnings).toHaveLength(1);
    await model.extend(1);
    expect(server.extended).toEqual([1]);
    expect(model.secondsLeft()).toBe(60 * 60);
    expect(model.nearStop).toBe(false);
    await model.refresh();
    expect(warnings).toHaveLength(1);
    clock.now += 46 * MINUTE;
    await model.refresh();
    expect(warnings).toHaveLength(2);
    expect(warnings[1].stop_at).not.toBe(warnings[0].stop_at);
    model.dispose();
  });
});
