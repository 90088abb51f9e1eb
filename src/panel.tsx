import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { getRebuildFile } from './api';
import { changesText } from './changes';
import {
  elapsedSeconds,
  humanDuration,
  humanSize,
  requestIdText,
  stopAfterSaveText,
  unavailableMessage,
  transportText,
  statusKind,
  statusWords
} from './format';
import { CommandIDs } from './ids';
import { LeaseModel } from './lease';
import { LeaseSection, RestoreScriptSection } from './leaseview';
import { LibraryModel } from './library';
import { LibrarySection } from './libraryview';
import { isFinished, JobsModel } from './model';
import { downloadText } from './dom';
import { ServiceConnection } from './transport';
import { IJob } from './types';
import { REBUILD_FILES } from './generated/vocabulary';

function RequestId(props: {
  id: string | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  return props.id ? (
    <div className="jp-ModelArtsSnapshot-requestId">
      {requestIdText(props.trans, props.id)}
    </div>
  ) : null;
}

/**
 * The side panel (titled "Image snapshots"): whether this server can save, the current save
 * and this instance's history of jobs.
 */
export class JobsPanel extends ReactWidget {
  constructor(options: JobsPanel.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this._commands = options.commands;
    this._connection = options.connection ?? null;
    this._lease = options.lease ?? null;
    this._library = options.library ?? null;
    this._connection?.changed.connect(() => this.update(), this);
    this.addClass('jp-ModelArtsSnapshot-panel');
    // Elapsed times move on while a save runs.
    this._timer = window.setInterval(() => {
      if (this.isVisible && this._model.current) {
        this.update();
      }
    }, 1000);
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  protected onAfterShow(): void {
    this._model.poke();
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this._model.changed}>
        {() => this._renderContent()}
      </UseSignal>
    );
  }

  private _renderContent(): JSX.Element {
    const trans = this._trans;
    const model = this._model;
    const readiness = model.readiness;
    const current = model.current;
    const history = model.jobs.filter(job => job !== current);
    return (
      <div className="jp-ModelArtsSnapshot-content">
        <header className="jp-ModelArtsSnapshot-header">
          <h2>{trans.__('Image snapshots')}</h2>
          <button
            className="jp-mod-styled jp-mod-accept"
            onClick={() => void this._commands.execute(CommandIDs.save)}
            disabled={current !== null || model.serverMissing}
          >
            {trans.__('Save as image')}
          </button>
        </header>
        {this._renderConnection()}
        {model.serverMissing && (
          <div className="jp-ModelArtsSnapshot-serverMissing" role="alert">
            {unavailableMessage(trans, model.kernelError)}
          </div>
        )}
        {readiness && !readiness.ready && !model.serverMissing && (
          <div className="jp-ModelArtsSnapshot-problems" role="alert">
            <p>{trans.__('This server cannot save an image yet:')}</p>
            <ul>
              {readiness.problems.map(problem => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </div>
        )}
        {model.saveError && !current && (
          <div className="jp-ModelArtsSnapshot-saveError" role="alert">
            <p>
              {trans.__(
                'The last save did not start: %1',
                model.saveError.message
              )}
            </p>
            <RequestId id={model.saveError.requestId} trans={trans} />
          </div>
        )}
        {this._lease && !model.serverMissing && (
          <LeaseSection lease={this._lease} trans={trans} />
        )}
        {readiness?.ready && !model.serverMissing && (
          <RestoreScriptSection trans={trans} />
        )}
        {current && (
          <section aria-label={trans.__('Current save')}>
            <h3>{trans.__('Current save')}</h3>
            {this._renderJob(current)}
          </section>
        )}
        {!model.serverMissing && (
          <section aria-label={trans.__('History')}>
            <h3>{trans.__('History')}</h3>
            {history.length === 0 ? (
              <p className="jp-ModelArtsSnapshot-empty">
                {trans.__('No saved images from this instance yet.')}
              </p>
            ) : (
              <ul className="jp-ModelArtsSnapshot-jobs">
                {history.map(job => (
                  <li key={job.id}>{this._renderJob(job)}</li>
                ))}
              </ul>
            )}
            {model.total > model.jobs.length && (
              <p className="jp-ModelArtsSnapshot-empty">
                {trans.__(
                  'The newest %1 of %2 saves are shown; `jupyter modelarts-snapshot list --offset N` lists older ones.',
                  model.jobs.length,
                  model.total
                )}
              </p>
            )}
          </section>
        )}
        {this._library && !model.serverMissing && (
          <LibrarySection model={this._library} trans={trans} />
        )}
        {this._connection?.kind && (
          <p className="jp-ModelArtsSnapshot-transport">
            {transportText(this._connection.kind, trans)}
          </p>
        )}
      </div>
    );
  }

  private _renderConnection(): JSX.Element | null {
    const trans = this._trans;
    switch (this._model.connection) {
      case 'paused':
        return (
          <div className="jp-ModelArtsSnapshot-paused" role="status">
            {trans.__(
              'The instance is paused while ModelArts saves the image. Reconnecting…'
            )}
          </div>
        );
      case 'offline':
        return (
          <div className="jp-ModelArtsSnapshot-offline" role="status">
            {trans.__('The Jupyter server is not answering. Reconnecting…')}
          </div>
        );
      default:
        return null;
    }
  }

  private _renderJob(job: IJob): JSX.Element {
    const trans = this._trans;
    const kind = statusKind(job.status);
    const size = humanSize(job.size_kb);
    const pull = job.swr_path ? `docker pull ${job.swr_path}` : '';
    return (
      <article
        className={`jp-ModelArtsSnapshot-job jp-mod-${kind}`}
        data-status={job.status}
        data-id={job.id}
      >
        <div className="jp-ModelArtsSnapshot-jobTitle">
          <span className="jp-ModelArtsSnapshot-jobName">
            {job.name}:{job.tag}
          </span>
          <span
            className={`jp-ModelArtsSnapshot-status jp-mod-${kind}`}
            title={job.status}
          >
            {statusWords(job.status, trans)} ({job.status})
          </span>
        </div>
        <div className="jp-ModelArtsSnapshot-detail">
          {trans.__('Namespace: %1', job.namespace)}
          {' · '}
          {isFinished(job)
            ? trans.__('took %1', humanDuration(elapsedSeconds(job), trans))
            : trans.__(
                'running for %1',
                humanDuration(elapsedSeconds(job), trans)
              )}
          {size && ` · ${size}`}
        </div>
        {/* Why a save ended without an image; while it runs, the status word says enough
            (ModelArts' progress words are its own, and not in the page's language). */}
        {job.status_message && isFinished(job) && job.status !== 'ACTIVE' && (
          <div className="jp-ModelArtsSnapshot-statusMessage">
            {job.status_message}
          </div>
        )}
        {job.last_error && !isFinished(job) && (
          <div className="jp-ModelArtsSnapshot-lastError" role="status">
            {trans.__(
              'Not checked since %1: %2',
              new Date(job.updated_at).toLocaleTimeString(),
              job.last_error.message
            )}
            <RequestId id={job.last_error.request_id} trans={trans} />
          </div>
        )}
        {job.size_check_skipped && (
          <div className="jp-ModelArtsSnapshot-sizeCheckSkipped">
            {trans.__(
              'Size check skipped: saved without waiting for the size estimate.'
            )}
          </div>
        )}
        {job.starts_next && (
          <div className="jp-ModelArtsSnapshot-startsNext">
            {trans.__('The next start of this instance runs from this image.')}
          </div>
        )}
        {job.stop && (
          <div
            className="jp-ModelArtsSnapshot-jobStop"
            data-stop-state={job.stop.state}
          >
            {stopAfterSaveText(job.stop, trans)}
          </div>
        )}
        {job.changes_summary && (
          <div className="jp-ModelArtsSnapshot-jobChanges">
            {changesText(job.changes_summary, trans)}
            <span className="jp-ModelArtsSnapshot-rebuild">
              {REBUILD_FILES.map(file => (
                <a
                  key={file}
                  href="#"
                  download={file}
                  onClick={event => {
                    event.preventDefault();
                    void getRebuildFile(job.id, file).then(text =>
                      downloadText(file, text)
                    );
                  }}
                  aria-label={trans.__('Download %1 of %2', file, job.tag)}
                >
                  {file}
                </a>
              ))}
            </span>
          </div>
        )}
        {job.swr_path && (
          <div className="jp-ModelArtsSnapshot-path">
            <code>{job.swr_path}</code>
            <button
              className="jp-mod-styled"
              aria-label={trans.__('Copy image path %1', job.swr_path)}
              onClick={() => Clipboard.copyToSystem(job.swr_path ?? '')}
            >
              {trans.__('Copy path')}
            </button>
            {job.status === 'ACTIVE' && (
              <button
                className="jp-mod-styled"
                aria-label={trans.__('Copy command %1', pull)}
                onClick={() => Clipboard.copyToSystem(pull)}
              >
                {trans.__('Copy docker pull')}
              </button>
            )}
          </div>
        )}
      </article>
    );
  }

  private _model: JobsModel;
  private _trans: TranslationBundle;
  private _commands: CommandRegistry;
  private _connection: ServiceConnection | null;
  private _lease: LeaseModel | null;
  private _library: LibraryModel | null;
  private _timer: number;
}

export namespace JobsPanel {
  export interface IOptions {
    model: JobsModel;
    trans: TranslationBundle;
    commands: CommandRegistry;
    /** How the page reaches the service, shown in a quiet line. */
    connection?: ServiceConnection;
    /** The auto-stop, counted down in its own section. */
    lease?: LeaseModel;
    /** Every saved image of the organizations, in its own section. */
    library?: LibraryModel;
  }
}
