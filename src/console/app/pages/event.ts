/** One event: what it says, its deliveries and every attempt (status, duration, response), and redelivering it. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api.js';
import { ErrorNote, LiveStatus, OutcomeBadge, PageHeading, Table, Time, errorText, type Column } from '../components.js';
import { formatMs } from '../format.js';
import { announce, useNow, usePoll } from '../live.js';
import { taskHref } from '../router.js';
import type { ConsoleEvent, Delivery, DeliveryAttempt, Webhook } from '../types.js';

interface EventView {
  event: ConsoleEvent;
  deliveries: Delivery[];
  attempts: DeliveryAttempt[];
}

/** An earlier event of the same task with a delivery to the same webhook still pending: what a later one waits behind. */
export interface Blocker {
  eventId: string;
  webhookId: string;
  sequence: number;
}

/**
 * Why a pending delivery has not gone out yet, in words: behind an earlier event of its task (deliveries of one task go
 * in order), its webhook backing off, a retry's time, or due now. Null once it succeeded or died.
 */
export function waitingReason(d: Delivery, webhook: Webhook | undefined, blockers: Blocker[], now: number): string | null {
  if (d.status !== 'pending') return null;
  if (webhook && !webhook.enabled) return `webhook disabled${webhook.disabledReason ? `: ${webhook.disabledReason}` : ''}`;
  const behind = blockers.filter((b) => b.webhookId === d.webhookId && b.sequence < d.sequence).sort((a, b) => a.sequence - b.sequence)[0];
  if (behind) return `queued behind ${behind.eventId} (ordering)`;
  const next = d.nextAttemptAt ? Date.parse(d.nextAttemptAt) : NaN;
  if (webhook?.failingSince && next > now) return `webhook backing off until ${d.nextAttemptAt} (failing since ${webhook.failingSince})`;
  if (next > now) return `retry ${d.attempts + 1} at ${d.nextAttemptAt}`;
  return d.attempts === 0 ? 'due: goes out with the next delivery pass' : `due: retry ${d.attempts + 1} goes out with the next delivery pass`;
}

/** The first `max` characters of a response body; the rest is behind a disclosure. */
const SNIPPET = 160;

export function EventPage({ api, eventId }: { api: ApiClient; eventId: string }): VNode {
  const now = useNow();
  const polled = usePoll(() => api.get<EventView>(`/v1/events/${encodeURIComponent(eventId)}`), `event:${eventId}`);
  const webhooks = usePoll(() => api.get<{ webhooks: Webhook[] }>('/v1/webhooks'), 'event-webhooks', 15_000);
  const [target, setTarget] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [queued, setQueued] = useState<string | null>(null);
  const byId = new Map((webhooks.data?.webhooks ?? []).map((w) => [w.id, w]));
  const webhookName = (id: string) => {
    const w = byId.get(id);
    return w ? (w.description ?? w.url) : id;
  };

  const redeliver = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setQueued(null);
    try {
      const answer = await api.send<{ deliveries: { id: string; webhookId: string; dueAt: string }[] }>(
        'POST',
        `/v1/events/${encodeURIComponent(eventId)}/redeliver`,
        target ? { webhookId: target } : undefined,
      );
      const text = `Queued ${answer.deliveries.length} ${answer.deliveries.length === 1 ? 'delivery' : 'deliveries'} (${answer.deliveries.map((d) => webhookName(d.webhookId)).join(', ')}); the next poll run sends them.`;
      setQueued(text);
      announce(text);
      await polled.refresh();
    } catch (caught) {
      setError(caught);
      announce(`Redelivery failed: ${errorText(caught)}`);
    }
  };

  const view = polled.data;
  const event = view?.event;
  // Only when a delivery waits: the task's earlier events, and which of their deliveries are still pending.
  const pendingKey = view?.deliveries.some((d) => d.status === 'pending') ? `event-blockers:${eventId}` : `event-blockers:none`;
  const blockers = usePoll(() => (pendingKey.endsWith(':none') || !view ? Promise.resolve([]) : blockersOf(api, view)), pendingKey);
  const task = event?.data.task;
  const attempts = [...(view?.attempts ?? [])].sort((a, b) => b.at.localeCompare(a.at) || b.attempt - a.attempt);
  const deliveries = [...(view?.deliveries ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));

  const deliveryColumns: Column<Delivery>[] = [
    { label: 'Webhook', cell: (d) => html`<span class="wrap">${webhookName(d.webhookId)}</span>` },
    { label: 'Status', cell: (d) => html`<span class=${`badge delivery-${d.status}`}>${d.status}</span>` },
    { label: 'Attempts', cell: (d) => d.attempts },
    { label: 'Last answer', cell: (d) => (d.lastStatus != null ? `HTTP ${d.lastStatus}` : (d.lastError ?? '—')) },
    { label: 'Next attempt', cell: (d) => html`<${Time} at=${d.nextAttemptAt} now=${now} />` },
    { label: 'Waiting', cell: (d) => html`<span class="wrap">${waitingReason(d, byId.get(d.webhookId), blockers.data ?? [], now) ?? '—'}</span>` },
    { label: 'Created', cell: (d) => html`<${Time} at=${d.createdAt} now=${now} />` },
  ];
  const attemptColumns: Column<DeliveryAttempt>[] = [
    { label: 'When', cell: (a) => html`<${Time} at=${a.at} now=${now} />` },
    { label: 'Webhook', cell: (a) => html`<span class="wrap">${webhookName(a.webhookId)}</span>` },
    { label: 'Attempt', cell: (a) => a.attempt },
    {
      label: 'Result',
      cell: (a) =>
        html`<span class=${`badge ${a.success ? 'delivery-succeeded' : 'delivery-dead'}`}
          >${a.status != null ? `HTTP ${a.status}` : (a.error ?? 'no answer')}</span
        >`,
    },
    { label: 'Duration', cell: (a) => formatMs(a.durationMs) },
    { label: 'Response', cell: (a) => html`<${Snippet} text=${a.responseSnippet} />` },
  ];

  return html`<section aria-labelledby="event-heading">
    <p class="crumbs"><a href="#/events">Events</a></p>
    <${PageHeading} id="event-heading" sub=${html`<${LiveStatus} updatedAt=${polled.updatedAt} error=${polled.error} now=${now} />`}>
      ${event ? html`<code>${event.type}</code>` : 'Event'}
    <//>
    ${
      event
        ? html`<section class="panel" aria-labelledby="about-heading">
            <h2 id="about-heading">About</h2>
            <dl class="facts">
              <div>
                <dt>Id</dt>
                <dd class="mono small">${event.id}</dd>
              </div>
              <div>
                <dt>Time</dt>
                <dd><${Time} at=${event.time} now=${now} /></dd>
              </div>
              <div>
                <dt>Subject</dt>
                <dd class="mono">${task ? html`<a href=${taskHref(task.regionId, task.id)}>${event.subject}</a>` : event.subject}</dd>
              </div>
              ${
                task
                  ? html`<div>
                      <dt>Status</dt>
                      <dd>
                        ${event.data.previousStatus ? `${event.data.previousStatus} → ` : ''}<${OutcomeBadge} outcome=${task.outcome} status=${task.status} />
                      </dd>
                    </div>`
                  : null
              }
              ${
                event.data.sequence != null
                  ? html`<div>
                      <dt>Sequence</dt>
                      <dd>${event.data.sequence}</dd>
                    </div>`
                  : null
              }
              ${
                event.data.reason
                  ? html`<div>
                      <dt>Reason</dt>
                      <dd>${event.data.reason}</dd>
                    </div>`
                  : null
              }
            </dl>
            <details>
              <summary>The event as delivered (JSON)</summary>
              <pre class="json">${JSON.stringify(event, null, 2)}</pre>
            </details>
          </section>`
        : null
    }
    <form class="panel" aria-labelledby="redeliver-heading" onSubmit=${(e: Event) => void redeliver(e)}>
      <h2 id="redeliver-heading">Redeliver</h2>
      <div class="row">
        <div class="field grow">
          <label for="redeliver-target">Send to</label>
          <select id="redeliver-target" value=${target} onChange=${(e: Event) => setTarget((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">every enabled webhook that subscribes to it</option>
            ${(webhooks.data?.webhooks ?? []).map((w) => html`<option value=${w.id} disabled=${!w.enabled}>${w.description ? `${w.description} — ` : ''}${w.url}${w.enabled ? '' : ' (disabled)'}</option>`)}
          </select>
        </div>
        <button type="submit" class="primary">Redeliver</button>
      </div>
      ${queued ? html`<p class="ok">${queued}</p>` : null}
      <${ErrorNote} error=${error} />
    </form>
    <section class="panel" aria-labelledby="deliveries-heading">
      <h2 id="deliveries-heading">Deliveries <span class="muted small">(${deliveries.length})</span></h2>
      <${Table}
        caption="Deliveries"
        columns=${deliveryColumns}
        rows=${deliveries}
        rowKey=${(d: Delivery) => d.id}
        empty="No delivery: no webhook subscribed to this event when it happened."
      />
    </section>
    <section class="panel" aria-labelledby="attempts-heading">
      <h2 id="attempts-heading">Attempts <span class="muted small">(${attempts.length})</span></h2>
      <${Table}
        caption="Delivery attempts, newest first"
        columns=${attemptColumns}
        rows=${attempts}
        rowKey=${(a: DeliveryAttempt) => `${a.deliveryId}:${a.attempt}`}
        empty="No attempt yet."
      />
    </section>
  </section>`;
}

function Snippet({ text }: { text: string }): VNode {
  if (!text) return html`<span class="none">—</span>`;
  if (text.length <= SNIPPET) return html`<pre class="snippet">${text}</pre>`;
  return html`<details class="snippet">
    <summary><span class="mono">${text.slice(0, SNIPPET)}…</span></summary>
    <pre class="snippet">${text}</pre>
  </details>`;
}

/** How many earlier events of the task are looked at for a blocker: a longer chain shows its nearest ones. */
const BLOCKER_LOOKBACK = 10;

/** The pending deliveries of the task's earlier events (GET /v1/events by task, then each event's deliveries). */
async function blockersOf(api: ApiClient, view: EventView): Promise<Blocker[]> {
  const task = view.event.data.task;
  const sequence = view.event.data.sequence;
  if (!task || sequence == null) return [];
  const listed = await api.get<{ events: ConsoleEvent[] }>('/v1/events', { regionId: task.regionId, taskId: task.id, limit: 50 });
  const earlier = listed.events
    .filter((e) => e.data.sequence != null && e.data.sequence < sequence)
    .sort((a, b) => (b.data.sequence ?? 0) - (a.data.sequence ?? 0))
    .slice(0, BLOCKER_LOOKBACK);
  const details = await Promise.all(earlier.map((e) => api.get<EventView>(`/v1/events/${encodeURIComponent(e.id)}`)));
  return details.flatMap((detail) =>
    detail.deliveries.filter((d) => d.status === 'pending').map((d) => ({ eventId: detail.event.id, webhookId: d.webhookId, sequence: d.sequence })),
  );
}
