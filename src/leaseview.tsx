/**
 * The auto-stop on the page: the panel's section (when the instance stops, extend), the status
 * bar item near the stop, and the warning notification.
 */
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { clockTime, stopText, timeLeft } from './format';
import { CommandIDs } from './ids';
import { LeaseModel } from './lease';
import { writeRestoreScript } from './api';
import { ILeaseWarning, IRestoreScript } from './types';

/** The extensions the panel offers, in hours from now. */
export const EXTEND_HOURS = [1, 2, 4, 8];
/** RenewLease's range, in hours. */
export const MIN_HOURS = 1;
export const MAX_HOURS = 72;

/** Why a number of hours cannot be sent, or null. */
export function hoursProblem(
  value: string,
  trans: TranslationBundle
): string | null {
  const hours = Number(value);
  return /^\d+$/.test(value.trim()) && hours >= MIN_HOURS && hours <= MAX_HOURS
    ? null
    : trans.__(
        'Choose a whole number of hours from %1 to %2.',
        MIN_HOURS,
        MAX_HOURS
      );
}

/** The panel's "Auto-stop" section; nothing when the instance has no auto-stop. */
export function LeaseSection(props: {
  lease: LeaseModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { lease, trans } = props;
  const [hours, setHours] = React.useState('');
  const [problem, setProblem] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const extend = async (value: number) => {
    setBusy(true);
    setProblem(null);
    try {
      await lease.extend(value);
      setHours('');
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <UseSignal signal={lease.changed}>
      {() => {
        const current = lease.lease;
        const left = lease.secondsLeft();
        if (!current?.enabled || left === null) {
          return <></>;
        }
        return (
          <section
            aria-label={trans.__('Auto-stop')}
            className="jp-ModelArtsSnapshot-lease"
          >
            <h3>{trans.__('Auto-stop')}</h3>
            <p
              className={`jp-ModelArtsSnapshot-leaseTime${lease.nearStop ? ' jp-mod-warn' : ''}`}
              data-stop-at={current.stop_at}
            >
              {stopText(current, left, trans)}
            </p>
            {current.warning?.message && (
              <p className="jp-ModelArtsSnapshot-leaseRisk" role="status">
                {current.warning.message}
              </p>
            )}
            <div className="jp-ModelArtsSnapshot-extend">
              <span>{trans.__('Stop instead in:')}</span>
              {EXTEND_HOURS.map(value => (
                <button
                  key={value}
                  className="jp-mod-styled"
                  disabled={busy}
                  aria-label={trans.__('Stop %1 h from now', value)}
                  onClick={() => void extend(value)}
                >
                  {trans.__('%1 h', value)}
                </button>
              ))}
              <input
                type="number"
                min={MIN_HOURS}
                max={MAX_HOURS}
                step={1}
                value={hours}
                aria-label={trans.__('Hours from now (1 to 72)')}
                placeholder={trans.__('hours')}
                onChange={event => setHours(event.target.value)}
              />
              <button
                className="jp-mod-styled"
                disabled={busy || hours === ''}
                onClick={() => {
                  const refused = hoursProblem(hours, trans);
                  if (refused) {
                    setProblem(refused);
                    return;
                  }
                  void extend(Number(hours));
                }}
              >
                {trans.__('Set')}
              </button>
            </div>
            {problem && (
              <div className="jp-ModelArtsSnapshot-leaseError" role="alert">
                {problem}
              </div>
            )}
          </section>
        );
      }}
    </UseSignal>
  );
}

/** The status bar item shown from the warning time: the time left before the stop. */
export class LeaseStatusItem extends ReactWidget {
  constructor(options: LeaseStatusItem.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-ModelArtsSnapshot-statusItem');
  }

  render(): JSX.Element {
    const { lease, trans, commands } = this._options;
    return (
      <UseSignal signal={lease.changed}>
        {() => {
          const left = lease.secondsLeft();
          if (!lease.nearStop || left === null) {
            return <span />;
          }
          return (
            <button
              className="jp-ModelArtsSnapshot-statusButton jp-mod-warn"
              title={trans.__('Show image snapshots')}
              onClick={() => void commands.execute(CommandIDs.openPanel)}
            >
              {trans.__('Instance stops in %1', timeLeft(left, trans))}
            </button>
          );
        }}
      </UseSignal>
    );
  }

  private _options: LeaseStatusItem.IOptions;
}

export namespace LeaseStatusItem {
  export interface IOptions {
    lease: LeaseModel;
    trans: TranslationBundle;
    commands: CommandRegistry;
  }
}

/**
 * Warn before the auto-stop, once per stop time: what the stop would erase, with *Save as
 * image* and *Extend 1 h*. The notification goes when the stop moves.
 */
export function warnBeforeStop(
  lease: LeaseModel,
  trans: TranslationBundle,
  commands: CommandRegistry
): void {
  const shown = new Map<string, string>(); // stop time -> notification ID
  lease.warn.connect((_, warning: ILeaseWarning) => {
    const left = lease.secondsLeft() ?? 0;
    let text = trans.__(
      'This instance stops at %1, in %2.',
      clockTime(warning.stop_at),
      timeLeft(left, trans)
    );
    if (lease.lease?.estimate) {
      text += ` ${trans.__('(estimated)')}`;
    }
    if (warning.message) {
      text += ` ${warning.message}`;
    }
    const id = Notification.warning(text, {
      autoClose: false,
      actions: [
        {
          label: trans.__('Save as image'),
          callback: () => void commands.execute(CommandIDs.save)
        },
        {
          label: trans.__('Extend 1 h'),
          callback: () =>
            void lease
              .extend(1)
              .catch(error =>
                Notification.error(
                  trans.__(
                    'The auto-stop was not extended: %1',
                    error instanceof Error ? error.message : String(error)
                  ),
                  { autoClose: false }
                )
              )
        }
      ]
    });
    shown.set(warning.stop_at, id);
  });
  lease.changed.connect(() => {
    if (!lease.lease) {
      return; // not known for now (the service is away): the warning stays
    }
    const stopAt = lease.lease.enabled ? lease.lease.stop_at : null;
    for (const [at, id] of shown) {
      if (at !== stopAt) {
        Notification.dismiss(id);
        shown.delete(at);
      }
    }
  });
}

/** What the panel says of a written restore script: where it is and how to run it. */
export function restoreScriptText(
  script: IRestoreScript,
  trans: TranslationBundle
): string {
  let text = trans.__(
    'Restore script written to %1: it reinstalls %2 pip and %3 conda package(s). After a stop, run in a terminal: %4',
    script.path,
    script.pip,
    script.conda,
    script.command
  );
  if (script.not_restorable.length > 0) {
    text += ` ${trans.__(
      'It cannot bring back: %1 (save an image to keep them).',
      script.not_restorable
        .map(item => `${item.manager} ${item.name} ${item.version}`)
        .join(', ')
    )}`;
  }
  return text;
}

/**
 * The panel's restore script: a lighter way back than an image for the pip and conda part,
 * written to the work volume, which a stop keeps.
 */
export function RestoreScriptSection(props: {
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [script, setScript] = React.useState<IRestoreScript | null>(null);
  const [problem, setProblem] = React.useState<string | null>(null);
  const write = async (afterEachSave?: boolean) => {
    setProblem(null);
    try {
      setScript(await writeRestoreScript(afterEachSave));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <section
      aria-label={trans.__('Restore script')}
      className="jp-ModelArtsSnapshot-restore"
    >
      <h3>{trans.__('Restore script')}</h3>
      <p>
        {trans.__(
          'Keep the pip and conda packages without an image: a script on the work volume reinstalls them after a stop. Apt packages need an image.'
        )}
      </p>
      <button className="jp-mod-styled" onClick={() => void write()}>
        {trans.__('Write restore script')}
      </button>
      {script && (
        <>
          <p className="jp-ModelArtsSnapshot-restoreWritten" role="status">
            {restoreScriptText(script, trans)}
          </p>
          <label>
            <input
              type="checkbox"
              checked={script.after_each_save}
              onChange={event => void write(event.target.checked)}
            />{' '}
            {trans.__('Write it again after each save')}
          </label>
        </>
      )}
      {problem && (
        <div className="jp-ModelArtsSnapshot-leaseError" role="alert">
          {problem}
        </div>
      )}
    </section>
  );
}
