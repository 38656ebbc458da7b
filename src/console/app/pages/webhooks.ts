/** The webhooks at a glance: success rate over the last day, failing since, disabled reason; ping, rotate the secret, enable or disable, add one. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api.js';
import { ErrorNote, Hidden, LiveStatus, PageHeading, Time, errorText } from '../components.js';
import { ConfirmDialog, SecretDialog } from '../dialogs.js';
import { absoluteTime, formatMs, formatRate } from '../format.js';
import { attemptHealth, needsOlderAttempts, type AttemptHealth } from '../health.js';
import { announce, useNow, usePoll } from '../live.js';
import { EVENT_TYPES } from './events.js';
import type { DeliveryAttempt, PingResult, Webhook } from '../types.js';

/** Pages of 500 attempts read per webhook to cover the last day; a busier webhook's rate is over the newest 2,000. */
const MAX_ATTEMPT_PAGES = 4;
const COMPLETION = EVENT_TYPES.slice(0, 5);

interface WebhookView {
  webhook: Webhook;
  health: AttemptHealth;
}

async function attemptsOfLastDay(api: ApiClient, id: string, now: number): Promise<DeliveryAttempt[]> {
  const attempts: DeliveryAttempt[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_ATTEMPT_PAGES; page++) {
    const answer = await api.get<{ attempts: DeliveryAttempt[]; cursor: string | null }>(`/v1/webhooks/${encodeURIComponent(id)}/attempts`, {
      limit: 500,
      cursor,
    });
    attempts.push(...answer.attempts);
    if (!answer.cursor || !needsOlderAttempts(attempts, now)) break;
    cursor = answer.cursor;
  }
  return attempts;
}

/** healthy, failing (since when) or disabled (why). */
export function healthState(w: Webhook): { kind: 'healthy' | 'failing' | 'disabled'; text: string } {
  if (!w.enabled) return { kind: 'disabled', text: `disabled: ${w.disabledReason ?? 'no reason recorded'}` };
  if (w.failingSince) return { kind: 'failing', text: 'failing' };
  return { kind: 'healthy', text: 'healthy' };
}

export function WebhooksPage({ api }: { api: ApiClient }): VNode {
  const now = useNow();
  const polled = usePoll<WebhookView[]>(
    async () => {
      const at = Date.now();
      const { webhooks } = await api.get<{ webhooks: Webhook[] }>('/v1/webhooks');
      return Promise.all(webhooks.map(async (webhook) => ({ webhook, health: attemptHealth(await attemptsOfLastDay(api, webhook.id, at), at) })));
    },
    'webhooks',
    5_000,
  );
  const [secret, setSecret] = useState<{ value: string; title: string; note: string } | null>(null);
  const [rotating, setRotating] = useState<Webhook | null>(null);
  const views = polled.data ?? [];

  const rotate = async (w: Webhook) => {
    setRotating(null);
    try {
      const answer = await api.send<{ secret?: string; publicKey?: string; previousSecretExpiresAt?: string; previousKeyExpiresAt?: string }>(
        'POST',
        `/v1/webhooks/${encodeURIComponent(w.id)}/rotate-secret`,
      );
      const until = answer.previousSecretExpiresAt ?? answer.previousKeyExpiresAt;
      const value = answer.secret ?? answer.publicKey ?? '';
      setSecret({
        value,
        title: answer.secret ? 'New signing secret' : 'New public key',
        note: `Shown once: store it in your receiver now. The previous ${answer.secret ? 'secret' : 'key'} keeps signing until ${until ? absoluteTime(until) : 'its overlap ends'}.`,
      });
      announce(`Rotated the secret of ${w.description ?? w.url}.`);
      await polled.refresh();
    } catch (error) {
      announce(`Rotation failed: ${errorText(error)}`);
    }
  };

  return html`<section aria-labelledby="webhooks-heading">
    <${PageHeading} id="webhooks-heading" sub=${html`<${LiveStatus} updatedAt=${polled.updatedAt} error=${polled.error} now=${now} />`}>Webhooks<//>
    ${polled.data === undefined && !polled.error ? html`<p class="empty">Loading webhooks…</p>` : null}
    ${polled.data && views.length === 0 ? html`<p class="empty">No webhook yet. Add one below or in TASKHOOK_WEBHOOKS.</p>` : null}
    <ul class="cards" aria-label="Webhooks">
      ${views.map(
        (v) =>
          html`<${WebhookCard}
            key=${v.webhook.id}
            view=${v}
            api=${api}
            now=${now}
            onChanged=${() => void polled.refresh()}
            onRotate=${() => setRotating(v.webhook)}
          />`,
      )}
    </ul>
    <${AddWebhook}
      api=${api}
      onCreated=${(value: string, note: string) => {
        setSecret({ value, title: 'Webhook created', note });
        void polled.refresh();
      }}
    />
    <${ConfirmDialog}
      open=${rotating !== null}
      title="Rotate the signing secret?"
      confirmLabel="Rotate"
      onConfirm=${() => rotating && void rotate(rotating)}
      onCancel=${() => setRotating(null)}
    >
      <p>
        ${rotating ? html`A new secret is made for <span class="mono wrap">${rotating.url}</span>.` : null} The current one keeps signing for 24 hours, so the
        receiver can switch without losing a delivery.
      </p>
    <//>
    <${SecretDialog} secret=${secret?.value ?? null} title=${secret?.title ?? ''} note=${secret?.note ?? ''} onClose=${() => setSecret(null)} />
  </section>`;
}

function WebhookCard({
  view,
  api,
  now,
  onChanged,
  onRotate,
}: {
  view: WebhookView;
  api: ApiClient;
  now: number;
  onChanged: () => void;
  onRotate: () => void;
}): VNode {
  const { webhook: w, health } = view;
  const [ping, setPing] = useState<PingResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const state = healthState(w);
  const name = w.description ?? w.url;
  const headingId = `wh-${w.id}`;

  const act = async (what: string, run: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await run();
    } catch (caught) {
      setError(caught);
      announce(`${what} failed: ${errorText(caught)}`);
    } finally {
      setBusy(null);
    }
  };
  const testPing = () =>
    act('Test ping', async () => {
      const result = await api.send<PingResult>('POST', `/v1/webhooks/${encodeURIComponent(w.id)}/test`);
      setPing(result);
      announce(`Test ping to ${name}: ${pingText(result)}.`);
    });
  const setEnabled = (enabled: boolean) =>
    act(enabled ? 'Enable' : 'Disable', async () => {
      await api.send('PATCH', `/v1/webhooks/${encodeURIComponent(w.id)}`, { enabled });
      announce(`${name} is ${enabled ? 'enabled' : 'disabled'}.`);
      onChanged();
    });

  return html`<li class=${`card webhook webhook-${state.kind}`} aria-labelledby=${headingId}>
    <div class="card-head">
      <h2 id=${headingId} class="wrap">${name}</h2>
      <span class=${`badge health-${state.kind}`}>${state.text}</span>
    </div>
    ${w.description ? html`<p class="mono small wrap">${w.url}</p>` : null}
    <dl class="facts">
      <div>
        <dt>Success, last 24 h</dt>
        <dd class="rate">
          ${health.rate === null ? 'no attempts' : html`<strong>${formatRate(health.rate)}</strong> of ${health.attempts} ${health.attempts === 1 ? 'attempt' : 'attempts'}`}
        </dd>
      </div>
      <div>
        <dt>Failing since</dt>
        <dd>${w.failingSince ? html`<${Time} at=${w.failingSince} now=${now} />` : '—'}</dd>
      </div>
      ${
        !w.enabled
          ? html`<div>
              <dt>Disabled because</dt>
              <dd>${w.disabledReason ?? '—'}</dd>
            </div>`
          : null
      }
      <div>
        <dt>Last attempt</dt>
        <dd>
          ${health.last ? html`<${Time} at=${health.last.at} now=${now} />, ${health.last.status != null ? `HTTP ${health.last.status}` : (health.last.error ?? 'no answer')}` : '—'}
        </dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd class="small">${w.events.join(', ')}</dd>
      </div>
      <div>
        <dt>Signing</dt>
        <dd>
          ${w.signing ?? 'hmac'}${w.secretRotation ? html`, rotated: the previous secret signs until <${Time} at=${w.secretRotation.previousExpiresAt} now=${now} />` : null}
        </dd>
      </div>
      <div>
        <dt>Source</dt>
        <dd>${w.source === 'config' ? 'TASKHOOK_WEBHOOKS' : 'API'}</dd>
      </div>
      <div>
        <dt>Id</dt>
        <dd class="mono small">${w.id}</dd>
      </div>
    </dl>
    <div class="actions">
      <button type="button" disabled=${busy !== null} onClick=${() => void testPing()}>Test ping<${Hidden}> to ${name}<//></button>
      ${
        w.enabled
          ? html`<button type="button" disabled=${busy !== null} onClick=${() => void setEnabled(false)}>Disable<${Hidden}> ${name}<//></button>`
          : html`<button type="button" disabled=${busy !== null} onClick=${() => void setEnabled(true)}>Enable<${Hidden}> ${name}<//></button>`
      }
      ${
        w.source === 'api'
          ? html`<button type="button" disabled=${busy !== null} onClick=${onRotate}>Rotate secret<${Hidden}> of ${name}<//></button>`
          : html`<span class="muted small">The secret is set in TASKHOOK_WEBHOOKS.</span>`
      }
    </div>
    ${ping ? html`<p class=${ping.success ? 'ok' : 'error'}>Test ping: ${pingText(ping)}</p>` : null}
    <${ErrorNote} error=${error} />
  </li>`;
}

const pingText = (p: PingResult) =>
  `${p.status != null ? `HTTP ${p.status}` : (p.error ?? 'no answer')} in ${formatMs(p.durationMs)}${p.responseSnippet ? ` — ${p.responseSnippet.slice(0, 120)}` : ''}`;

function AddWebhook({ api, onCreated }: { api: ApiClient; onCreated: (secret: string, note: string) => void }): VNode {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([...COMPLETION]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const toggle = (type: string, on: boolean) => setEvents(on ? [...events, type] : events.filter((e) => e !== type));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.send<{ webhook: Webhook; secret?: string; publicKey?: string }>('POST', '/v1/webhooks', {
        url: url.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        events,
      });
      announce(`Webhook ${answer.webhook.id} created.`);
      setUrl('');
      setDescription('');
      onCreated(answer.secret ?? answer.publicKey ?? '', 'Shown once: store this signing secret in your receiver now; taskhook will not show it again.');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="panel" aria-labelledby="add-webhook-heading" onSubmit=${(e: Event) => void submit(e)}>
    <h2 id="add-webhook-heading">Add a webhook</h2>
    <div class="row">
      <div class="field grow">
        <label for="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          required
          placeholder="https://example.com/hooks/taskhook"
          value=${url}
          aria-describedby=${error ? 'webhook-error' : undefined}
          onInput=${(e: Event) => setUrl((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      <div class="field grow">
        <label for="webhook-description">Description (optional)</label>
        <input
          id="webhook-description"
          maxlength="500"
          value=${description}
          onInput=${(e: Event) => setDescription((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
    </div>
    <fieldset>
      <legend>Events</legend>
      <div class="checks">
        ${EVENT_TYPES.map(
          (type) =>
            html`<label class="check"
              ><input type="checkbox" checked=${events.includes(type)} onChange=${(e: Event) => toggle(type, (e.currentTarget as HTMLInputElement).checked)} />
              <code>${type}</code></label
            >`,
        )}
      </div>
    </fieldset>
    <button type="submit" class="primary" disabled=${busy || events.length === 0}>Add webhook</button>
    <${ErrorNote} error=${error} id="webhook-error" />
  </form>`;
}
