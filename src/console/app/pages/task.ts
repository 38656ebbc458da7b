/** One task: its last-seen snapshot, its operations and error codes, and the timeline of its events with the snapshot each one carried. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, allPages, type ApiClient } from '../api.js';
import { Duration, ErrorNote, LiveStatus, OutcomeBadge, PageHeading, Progress, Table, Time, errorText, type Column } from '../components.js';
import { absoluteTime, elapsedSeconds } from '../format.js';
import { announce, useNow, usePoll } from '../live.js';
import { eventHref, pageHref } from '../router.js';
import { estimatedFinish, type ConsoleEvent, type TaskState } from '../types.js';
import { readinessNote, resourceLabel, stallNote } from '../readiness.js';

type Operation = TaskState['operations'][number];

interface TaskView {
  snapshot: TaskState | null;
  invalid: { code: string; message: string } | null;
  /** Set while the task is watched but not polled yet. */
  notYet: string | null;
  events: ConsoleEvent[];
}

/** Each error code of the operations, with how many operations failed with it. */
export function errorCodes(operations: Operation[]): { code: string; message: string | null; count: number }[] {
  const codes = new Map<string, { code: string; message: string | null; count: number }>();
  for (const op of operations) {
    if (!op.errorCode) continue;
    const seen = codes.get(op.errorCode);
    if (seen) seen.count++;
    else codes.set(op.errorCode, { code: op.errorCode, message: op.errorMessage, count: 1 });
  }
  return [...codes.values()];
}

/** A task's events in the order they happened: by `data.sequence` (an event's time is ECS's, to the second or minute), then by time. */
export const timelineOrder = (events: ConsoleEvent[]) =>
  [...events].sort((a, b) => (a.data.sequence ?? 0) - (b.data.sequence ?? 0) || a.time.localeCompare(b.time));

export function TaskPage({ api, regionId, taskId }: { api: ApiClient; regionId: string; taskId: string }): VNode {
  const now = useNow();
  const [live, setLive] = useState<{ snapshot: TaskState; at: number } | null>(null);
  const [liveError, setLiveError] = useState<unknown>(null);
  const polled = usePoll<TaskView>(async () => {
    const [cached, events] = await Promise.all([
      api
        .get<{ task: TaskState; invalid?: { code: string; message: string } | null }>(`/v1/tasks/${encodeURIComponent(taskId)}`, { regionId, cached: 1 })
        .then((answer) => ({ snapshot: answer.task, invalid: answer.invalid ?? null, notYet: null }))
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.code === 'NotWatched') return { snapshot: null, invalid: null, notYet: error.message };
          throw error;
        }),
      allPages(
        (cursor) =>
          api
            .get<{ events: ConsoleEvent[]; cursor: string | null }>('/v1/events', { taskId, regionId, limit: 200, cursor })
            .then((p) => ({ items: p.events, cursor: p.cursor })),
        5,
      ),
    ]);
    return { ...cached, events };
  }, `task:${regionId}/${taskId}`);

  const lookUp = async () => {
    setLiveError(null);
    try {
      const answer = await api.get<{ task: TaskState }>(`/v1/tasks/${encodeURIComponent(taskId)}`, { regionId });
      setLive({ snapshot: answer.task, at: Date.now() });
      announce(`ECS answered for ${taskId}: ${answer.task.status}.`);
    } catch (error) {
      setLiveError(error);
      announce(`Live lookup failed: ${errorText(error)}`);
    }
  };

  const view = polled.data;
  const snapshot = live?.snapshot ?? view?.snapshot ?? null;
  const timeline = timelineOrder(view?.events ?? []);
  const operationColumns: Column<Operation & { n: number }>[] = [
    { label: '#', cell: (op) => op.n },
    { label: 'Status', cell: (op) => op.status ?? '—' },
    { label: 'Error code', cell: (op) => (op.errorCode ? html`<code>${op.errorCode}</code>` : '—') },
    { label: 'Message', cell: (op) => op.errorMessage ?? '—' },
    {
      label: 'Related',
      cell: (op) =>
        op.relatedItems.length
          ? op.relatedItems.map((r) => html`<div class="small"><span class="muted">${r.name}</span> <span class="mono">${r.value}</span></div>`)
          : '—',
    },
  ];

  return html`<section aria-labelledby="task-heading">
    <p class="crumbs"><a href="#/tasks">Tasks</a> / <span class="mono">${regionId}</span></p>
    <${PageHeading} id="task-heading" sub=${html`<${LiveStatus} updatedAt=${polled.updatedAt} error=${polled.error} now=${now} />`}
      ><span class="mono">${taskId}</span><//
    >
    <div class="toolbar">
      <button type="button" onClick=${() => void lookUp()}>Live lookup (asks ECS)</button>
      ${live ? html`<button type="button" onClick=${() => setLive(null)}>Back to last-seen state</button>` : null}
      <a class="button-link" href=${pageHref(['events'], { taskId, regionId })}>Events of this task</a>
    </div>
    <${ErrorNote} error=${liveError} />
    ${view?.notYet && !live ? html`<p class="notice">${view.notYet}</p>` : null}
    ${view?.invalid ? html`<p class="error">ECS refused this task: ${view.invalid.message} (${view.invalid.code})</p>` : null}
    ${snapshot ? html`<${SnapshotPanel} snapshot=${snapshot} now=${now} source=${live ? `live answer from ECS, ${absoluteTime(new Date(live.at).toISOString())}` : 'last seen by a poll'} />` : null}
    ${
      snapshot
        ? html`<section class="panel" aria-labelledby="ops-heading">
            <h2 id="ops-heading">Operations</h2>
            ${
              errorCodes(snapshot.operations).length
                ? html`<ul class="codes" aria-label="Error codes">
                    ${errorCodes(snapshot.operations).map((c) => html`<li><code>${c.code}</code> ×${c.count}${c.message ? html` — ${c.message}` : null}</li>`)}
                  </ul>`
                : null
            }
            <${Table}
              caption="Operations"
              columns=${operationColumns}
              rows=${snapshot.operations.map((op, i) => ({ ...op, n: i + 1 }))}
              rowKey=${(op: { n: number }) => String(op.n)}
              empty=${snapshot.counts ? 'ECS listed no operations.' : 'No operations yet: ECS lists them once the task has details (DescribeTaskAttribute).'}
            />
          </section>`
        : null
    }
    <section class="panel" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      ${timeline.length === 0 ? html`<p class="empty">No event yet. Events appear as the task changes status (and progress, for webhooks that ask for it).</p>` : null}
      <ol class="timeline">
        ${timeline.map((e) => html`<${TimelineItem} key=${e.id} event=${e} now=${now} />`)}
        ${
          view?.snapshot && (!timeline.length || view.snapshot.observedAt > timeline[timeline.length - 1].time)
            ? html`<li class="timeline-item last-seen">
                <div class="when"><${Time} at=${view.snapshot.observedAt} now=${now} /></div>
                <div>
                  <strong>last seen</strong>
                  <${OutcomeBadge} outcome=${view.snapshot.outcome} status=${view.snapshot.status} />
                  ${view.snapshot.progress != null ? html` <span class="muted">${view.snapshot.progress} %</span>` : null}
                </div>
              </li>`
            : null
        }
      </ol>
    </section>
  </section>`;
}

function SnapshotPanel({ snapshot, now, source }: { snapshot: TaskState; now: number; source: string }): VNode {
  const counts = snapshot.counts;
  return html`<section class="panel" aria-labelledby="snapshot-heading">
    <h2 id="snapshot-heading">State <span class="muted small">(${source})</span></h2>
    <dl class="facts">
      <div>
        <dt>Status</dt>
        <dd><${OutcomeBadge} outcome=${snapshot.outcome} status=${snapshot.status} /></dd>
      </div>
      <div>
        <dt>Progress</dt>
        <dd><${Progress} value=${snapshot.progress} label="Progress" /></dd>
      </div>
      <div>
        <dt>Action</dt>
        <dd>${snapshot.action}</dd>
      </div>
      <div>
        <dt>Region</dt>
        <dd>${snapshot.regionId}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd><${Time} at=${snapshot.createdAt} now=${now} /></dd>
      </div>
      <div>
        <dt>Finished</dt>
        <dd><${Time} at=${snapshot.finishedAt} now=${now} /></dd>
      </div>
      <div>
        <dt>Elapsed</dt>
        <dd><${Duration} seconds=${elapsedSeconds(snapshot, now)} /></dd>
      </div>
      ${
        estimatedFinish({ snapshot })
          ? html`<div>
              <dt>Estimated finish</dt>
              <dd><${Time} at=${estimatedFinish({ snapshot })} now=${now} /></dd>
            </div>`
          : null
      }
      <div>
        <dt>Subtasks</dt>
        <dd>${counts ? `${counts.succeeded} of ${counts.total} succeeded, ${counts.failed} failed` : '—'}</dd>
      </div>
      <div>
        <dt>Resource</dt>
        <dd class="mono">${resourceLabel(snapshot) ?? '—'}</dd>
      </div>
      ${
        readinessNote(snapshot)
          ? html`<div>
              <dt>Usable</dt>
              <dd class=${readinessNote(snapshot)!.tone}>
                ${readinessNote(snapshot)!.text}${snapshot.readyAt ? html` · <${Time} at=${snapshot.readyAt} now=${now} />` : null}
              </dd>
            </div>`
          : null
      }
      ${
        stallNote(snapshot)
          ? html`<div>
              <dt>Stalled</dt>
              <dd class="warn">${snapshot.stall!.reason}</dd>
            </div>`
          : null
      }
      <div>
        <dt>Observed</dt>
        <dd><${Time} at=${snapshot.observedAt} now=${now} /></dd>
      </div>
      <div>
        <dt>ECS request id</dt>
        <dd class="mono small">${snapshot.requestId ?? '—'}</dd>
      </div>
      <div>
        <dt>Can be cancelled</dt>
        <dd>${snapshot.supportCancel ? 'yes' : 'no'}</dd>
      </div>
    </dl>
  </section>`;
}

function TimelineItem({ event, now }: { event: ConsoleEvent; now: number }): VNode {
  const task = event.data.task;
  return html`<li class="timeline-item">
    <div class="when"><${Time} at=${event.time} now=${now} /></div>
    <div>
      <a href=${eventHref(event.id)}><code>${event.type}</code></a>
      ${event.data.sequence != null ? html` <span class="muted small">#${event.data.sequence}</span>` : null}
      ${
        task
          ? html`<div class="small">
              ${event.data.previousStatus ? html`${event.data.previousStatus} → ` : null}<${OutcomeBadge} outcome=${task.outcome} status=${task.status} />
              ${task.progress != null ? html` <span class="muted">${task.progress} %</span>` : null}
              ${event.type === 'ecs.task.stalled' && task.stall ? html` <span class="warn">${task.stall.reason}</span>` : null}
              ${event.type === 'ecs.task.succeeded' && readinessNote(task) ? html` <span class=${readinessNote(task)!.tone}>${readinessNote(task)!.text}</span>` : null}
              ${
                task.operations.some((op) => op.errorCode)
                  ? html` <span class="warn"
                      >${errorCodes(task.operations)
                        .map((c) => c.code)
                        .join(', ')}</span
                    >`
                  : null
              }
            </div>`
          : null
      }
    </div>
  </li>`;
}
