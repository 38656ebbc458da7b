/** The event log, newest first, with filters and older pages; and recovering a webhook's failed deliveries since a time. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.js';
import { ErrorNote, FilterSelect, LiveStatus, PageHeading, Table, Time, errorText, type Column } from '../components.js';
import { toLocalInput } from '../format.js';
import { POLL_MS, announce, useNow, usePoll } from '../live.js';
import { eventHref, navigate, pageHref, taskHref } from '../router.js';
import type { ConsoleEvent, Webhook } from '../types.js';

/** The types GET /v1/events filters by (the server's SUBSCRIBABLE_EVENT_TYPES; a test keeps the two equal). */
export const EVENT_TYPES = [
  'ecs.task.succeeded',
  'ecs.task.partially_failed',
  'ecs.task.failed',
  'ecs.task.cancelled',
  'ecs.task.not_found',
  'ecs.task.started',
  'ecs.task.progress',
  'ecs.task.status_changed',
  'ecs.task.stalled',
  'ecs.task.resumed',
  'webhook.disabled',
  'webhook.recovered',
  'delivery.exhausted',
  'poller.blocked',
  'poller.resumed',
] as const;

const PAGE = 50;

export function EventsPage({ api, query }: { api: ApiClient; query: URLSearchParams }): VNode {
  const now = useNow();
  const filters = { type: query.get('type') ?? '', regionId: query.get('regionId') ?? '', taskId: query.get('taskId') ?? '' };
  const key = `events:${filters.type}|${filters.regionId}|${filters.taskId}`;
  const polled = usePoll(() => api.get<{ events: ConsoleEvent[]; cursor: string | null }>('/v1/events', { ...filters, limit: PAGE }), key, POLL_MS);
  const [older, setOlder] = useState<{ key: string; events: ConsoleEvent[]; cursor: string | null } | null>(null);
  const [olderError, setOlderError] = useState<unknown>(null);
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [key]);

  const first = polled.data?.events ?? [];
  const more = older?.key === key ? older : null;
  const seen = new Set(first.map((e) => e.id));
  const events = [...first, ...(more?.events.filter((e) => !seen.has(e.id)) ?? [])];
  const cursor = more ? more.cursor : (polled.data?.cursor ?? null);

  const loadOlder = async () => {
    if (!cursor) return;
    setOlderError(null);
    try {
      const page = await api.get<{ events: ConsoleEvent[]; cursor: string | null }>('/v1/events', { ...filters, limit: PAGE, cursor });
      setOlder({ key, events: [...(more?.events ?? []), ...page.events], cursor: page.cursor });
    } catch (error) {
      setOlderError(error);
    }
  };
  const apply = (e: Event) => {
    e.preventDefault();
    navigate(pageHref(['events'], { type: draft.type, regionId: draft.regionId.trim(), taskId: draft.taskId.trim() }), true);
  };

  const columns: Column<ConsoleEvent>[] = [
    { label: 'Time', cell: (e) => html`<${Time} at=${e.time} now=${now} />` },
    { label: 'Type', cell: (e) => html`<a href=${eventHref(e.id)}><code>${e.type}</code></a>` },
    {
      label: 'Task or webhook',
      cell: (e) =>
        e.data.task
          ? html`<a class="mono" href=${taskHref(e.data.task.regionId, e.data.task.id)}>${e.subject}</a>`
          : html`<span class="mono">${e.subject}</span>${e.data.reason ? html`<div class="small muted">${e.data.reason}</div>` : null}`,
    },
    { label: 'Region', cell: (e) => e.data.task?.regionId ?? '—' },
    { label: 'Status', cell: (e) => (e.data.task ? `${e.data.previousStatus ? `${e.data.previousStatus} → ` : ''}${e.data.task.status}` : '—') },
    { label: 'Seq', cell: (e) => e.data.sequence ?? '—' },
  ];

  return html`<section aria-labelledby="events-heading">
    <${PageHeading} id="events-heading" sub=${html`<${LiveStatus} updatedAt=${polled.updatedAt} error=${polled.error} now=${now} />`}>Events<//>
    <form class="toolbar" role="search" aria-label="Filter events" onSubmit=${apply}>
      <${FilterSelect}
        id="events-type"
        label="Type"
        value=${draft.type}
        options=${[...EVENT_TYPES]}
        onChange=${(type: string) => setDraft({ ...draft, type })}
      />
      <div class="field">
        <label for="events-region">Region</label>
        <input
          id="events-region"
          value=${draft.regionId}
          placeholder="cn-hangzhou"
          onInput=${(e: Event) => setDraft({ ...draft, regionId: (e.currentTarget as HTMLInputElement).value })}
        />
      </div>
      <div class="field">
        <label for="events-task">Task id</label>
        <input
          id="events-task"
          class="mono"
          value=${draft.taskId}
          placeholder="t-…"
          onInput=${(e: Event) => setDraft({ ...draft, taskId: (e.currentTarget as HTMLInputElement).value })}
        />
      </div>
      <button type="submit">Apply</button>
      ${filters.type || filters.regionId || filters.taskId ? html`<a class="button-link" href="#/events">Clear</a>` : null}
    </form>
    ${
      polled.data === undefined && !polled.error
        ? html`<p class="empty">Loading the event log…</p>`
        : html`<${Table} caption="Events, newest first" columns=${columns} rows=${events} rowKey=${(e: ConsoleEvent) => e.id} empty="No event matches." />`
    }
    ${cursor ? html`<button type="button" onClick=${() => void loadOlder()}>Load older events</button>` : null}
    <${ErrorNote} error=${olderError} />
    <${RecoverForm} api=${api} />
  </section>`;
}

/** POST /v1/webhooks/{id}/recover?since=: every failed or dead delivery of the webhook since then is sent again. */
function RecoverForm({ api }: { api: ApiClient }): VNode {
  const webhooks = usePoll(() => api.get<{ webhooks: Webhook[] }>('/v1/webhooks'), 'recover-webhooks', 15_000);
  const [webhookId, setWebhookId] = useState('');
  const [since, setSince] = useState(() => toLocalInput(Date.now() - 3_600_000));
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<string | null>(null);
  const list = webhooks.data?.webhooks ?? [];
  const chosen = webhookId || list[0]?.id || '';
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const at = new Date(since);
    if (!chosen || Number.isNaN(at.getTime())) {
      setError(new Error(!chosen ? 'Choose a webhook.' : 'Enter the time to recover from.'));
      return;
    }
    try {
      const answer = await api.send<{ recovered: number }>('POST', `/v1/webhooks/${encodeURIComponent(chosen)}/recover`, undefined, {
        since: at.toISOString(),
      });
      const text = `${answer.recovered} ${answer.recovered === 1 ? 'delivery' : 'deliveries'} of ${chosen} queued again; they go out with the next poll run.`;
      setResult(text);
      announce(text);
    } catch (caught) {
      setError(caught);
      announce(`Recovery failed: ${errorText(caught)}`);
    }
  };
  return html`<form class="panel" aria-labelledby="recover-heading" onSubmit=${(e: Event) => void submit(e)}>
    <h2 id="recover-heading">Recover a webhook</h2>
    <p class="muted">Sends again every failed or dead delivery of one webhook since a time (at most 14 days back).</p>
    <div class="row">
      <div class="field grow">
        <label for="recover-webhook">Webhook</label>
        <select id="recover-webhook" value=${chosen} onChange=${(e: Event) => setWebhookId((e.currentTarget as HTMLSelectElement).value)}>
          ${list.map((w) => html`<option value=${w.id}>${w.description ? `${w.description} — ` : ''}${w.url}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="recover-since">Since (local time)</label>
        <input
          id="recover-since"
          type="datetime-local"
          required
          value=${since}
          onInput=${(e: Event) => setSince((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      <button type="submit" class="primary" disabled=${!list.length}>Recover</button>
    </div>
    ${result ? html`<p class="ok">${result}</p>` : null}
    <${ErrorNote} error=${error} />
  </form>`;
}
