/** The watch list: status, progress, elapsed time, last poll and estimated finish of every task, filters, and watching or unwatching one. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { allPages, type ApiClient } from '../api.js';
import {
  Duration,
  ErrorNote,
  FilterSelect,
  Hidden,
  LiveStatus,
  OutcomeBadge,
  PageHeading,
  Progress,
  Table,
  Time,
  errorText,
  type Column,
} from '../components.js';
import { elapsedSeconds, outcomeLabel } from '../format.js';
import { announce, useNow, usePoll } from '../live.js';
import { navigate, pageHref, taskHref } from '../router.js';
import { estimatedFinish, type TaskItem } from '../types.js';
import { readinessNote, resourceLabel, stallNote, type Note } from '../readiness.js';

/** Every outcome a snapshot can have, in the order a list of them reads best. */
export const OUTCOMES = ['running', 'pending', 'paused', 'succeeded', 'partially_failed', 'failed', 'cancelled', 'not_found', 'unknown'] as const;

export interface TaskFilters {
  region: string;
  action: string;
  outcome: string;
}

export function filterTasks(tasks: TaskItem[], filters: TaskFilters): TaskItem[] {
  return tasks.filter(
    (t) =>
      (!filters.region || t.regionId === filters.region) &&
      (!filters.action || t.snapshot?.action === filters.action) &&
      (!filters.outcome || (t.snapshot?.outcome ?? 'unpolled') === filters.outcome),
  );
}

/** Running work first, then the newest. */
export function sortTasks(tasks: TaskItem[]): TaskItem[] {
  const created = (t: TaskItem) => t.snapshot?.createdAt ?? t.watchedAt;
  return [...tasks].sort((a, b) => Number(!a.active) - Number(!b.active) || created(b).localeCompare(created(a)) || a.taskId.localeCompare(b.taskId));
}

const distinct = (values: (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => !!v))].sort();

export function TasksPage({ api, query }: { api: ApiClient; query: URLSearchParams }): VNode {
  const now = useNow();
  const polled = usePoll(
    () =>
      allPages((cursor) =>
        api.get<{ tasks: TaskItem[]; cursor: string | null }>('/v1/tasks', { limit: 500, cursor }).then((p) => ({ items: p.tasks, cursor: p.cursor })),
      ),
    'tasks',
  );
  const filters: TaskFilters = { region: query.get('region') ?? '', action: query.get('action') ?? '', outcome: query.get('outcome') ?? '' };
  const setFilter = (name: keyof TaskFilters, value: string) => navigate(pageHref(['tasks'], { ...filters, [name]: value }), true);
  const tasks = polled.data ?? [];
  const shown = sortTasks(filterTasks(tasks, filters));
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.snapshot?.outcome ?? 'unpolled', (counts.get(t.snapshot?.outcome ?? 'unpolled') ?? 0) + 1);

  const unwatch = async (task: TaskItem) => {
    try {
      await api.send('DELETE', `/v1/tasks/${encodeURIComponent(task.taskId)}`, undefined, { regionId: task.regionId });
      announce(`Stopped watching ${task.taskId}.`);
      await polled.refresh();
    } catch (error) {
      announce(`Could not unwatch ${task.taskId}: ${errorText(error)}`);
    }
  };

  const columns: Column<TaskItem>[] = [
    {
      label: 'Task',
      className: 'nowrap',
      cell: (t) =>
        html`<a href=${taskHref(t.regionId, t.taskId)} class="mono">${t.taskId}</a
          >${t.snapshot && resourceLabel(t.snapshot) ? html`<div class="muted mono small">${resourceLabel(t.snapshot)}</div>` : null}`,
    },
    { label: 'Region', className: 'nowrap', cell: (t) => t.regionId },
    { label: 'Action', cell: (t) => t.snapshot?.action ?? html`<span class="none">—</span>` },
    {
      label: 'Status',
      cell: (t) =>
        html`<${OutcomeBadge} outcome=${t.snapshot?.outcome} status=${t.snapshot?.status} />
          ${t.invalid ? html`<div class="warn small">invalid: ${t.invalid.code}</div>` : null}
          ${t.pendingVerdict ? html`<div class="warn small">unconfirmed: ${t.pendingVerdict.code}</div>` : null}
          ${[t.snapshot && stallNote(t.snapshot), t.snapshot && readinessNote(t.snapshot)]
            .filter((n): n is Note => !!n && n.tone !== 'muted')
            .map((n) => html`<div class=${`${n.tone} small readiness`}>${n.text}</div>`)}`,
    },
    { label: 'Progress', cell: (t) => html`<${Progress} value=${t.snapshot?.progress} label=${`Progress of ${t.taskId}`} />` },
    { label: 'Elapsed', className: 'nowrap', cell: (t) => html`<${Duration} seconds=${t.snapshot ? elapsedSeconds(t.snapshot, now) : null} />` },
    { label: 'Last polled', className: 'nowrap', cell: (t) => html`<${Time} at=${t.lastPolledAt} now=${now} />` },
    { label: 'Est. finish', className: 'nowrap', cell: (t) => html`<${Time} at=${estimatedFinish(t)} now=${now} />` },
    {
      label: 'Actions',
      hiddenLabel: true,
      className: 'actions-cell',
      cell: (t) =>
        t.sources.includes('api')
          ? html`<button type="button" class="small-button" onClick=${() => void unwatch(t)}>Unwatch<${Hidden}> ${t.taskId}<//></button>`
          : html`<span class="muted small" title="watched through configuration or discovery">${t.sources.join(', ')}</span>`,
    },
  ];

  return html`<section aria-labelledby="tasks-heading">
    <${PageHeading} id="tasks-heading" sub=${html`<${LiveStatus} updatedAt=${polled.updatedAt} error=${polled.error} now=${now} />`}>Tasks<//>
    ${
      counts.size
        ? html`<p class="summary">
            ${[...counts].map(([outcome, n], i) => html`${i ? ' · ' : ''}<span class=${`count outcome-text-${outcome}`}>${n} ${outcome === 'unpolled' ? 'not polled yet' : outcomeLabel(outcome)}</span>`)}
          </p>`
        : null
    }
    <div class="toolbar" role="search" aria-label="Filter tasks">
      <${FilterSelect}
        id="filter-region"
        label="Region"
        value=${filters.region}
        options=${distinct([...tasks.map((t) => t.regionId), filters.region])}
        onChange=${(v: string) => setFilter('region', v)}
      />
      <${FilterSelect}
        id="filter-action"
        label="Action"
        value=${filters.action}
        options=${distinct([...tasks.map((t) => t.snapshot?.action), filters.action])}
        onChange=${(v: string) => setFilter('action', v)}
      />
      <${FilterSelect}
        id="filter-outcome"
        label="Outcome"
        value=${filters.outcome}
        options=${distinct([...OUTCOMES, filters.outcome])}
        onChange=${(v: string) => setFilter('outcome', v)}
      />
    </div>
    ${
      polled.data === undefined && !polled.error
        ? html`<p class="empty">Loading the watch list…</p>`
        : html`<${Table}
            caption="Watched tasks"
            columns=${columns}
            rows=${shown}
            rowKey=${(t: TaskItem) => `${t.regionId}/${t.taskId}`}
            empty=${tasks.length ? 'No task matches these filters.' : 'No task is watched yet. Add one below, list some in TASKHOOK_TASKS, or turn on discovery.'}
          />`
    }
    <${WatchForm} api=${api} regions=${distinct(tasks.map((t) => t.regionId))} onAdded=${() => void polled.refresh()} />
  </section>`;
}

function WatchForm({ api, regions, onAdded }: { api: ApiClient; regions: string[]; onAdded: () => void }): VNode {
  const [regionId, setRegionId] = useState('');
  const [taskId, setTaskId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const key = { regionId: regionId.trim(), taskId: taskId.trim() };
      await api.send('POST', '/v1/tasks', key);
      announce(`Watching ${key.taskId} in ${key.regionId}.`);
      setTaskId('');
      onAdded();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="panel" aria-labelledby="watch-heading" onSubmit=${(e: Event) => void submit(e)}>
    <h2 id="watch-heading">Watch a task</h2>
    <div class="row">
      <div class="field">
        <label for="watch-region">Region</label>
        <input
          id="watch-region"
          name="regionId"
          list="known-regions"
          required
          placeholder="cn-hangzhou"
          value=${regionId}
          aria-describedby=${error ? 'watch-error' : undefined}
          onInput=${(e: Event) => setRegionId((e.currentTarget as HTMLInputElement).value)}
        />
        <datalist id="known-regions">${regions.map((r) => html`<option value=${r}></option>`)}</datalist>
      </div>
      <div class="field grow">
        <label for="watch-task">Task id</label>
        <input
          id="watch-task"
          name="taskId"
          class="mono"
          required
          placeholder="t-bp1abcdefgh1234567"
          value=${taskId}
          aria-describedby=${error ? 'watch-error' : undefined}
          onInput=${(e: Event) => setTaskId((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      <button type="submit" class="primary" disabled=${busy}>Watch</button>
    </div>
    <${ErrorNote} error=${error} id="watch-error" />
  </form>`;
}
