/** The poller: charts and a table of recent runs from GET /v1/runs (ECS calls by API, throttling, duration, tasks, staleness), and a poll now. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { ApiError, type ApiClient } from '../api.js';
import { LineChart } from '../chart.js';
import { ErrorNote, LiveStatus, PageHeading, Table, Time, errorText, type Column } from '../components.js';
import { formatDuration, formatMs } from '../format.js';
import { announce, useNow, usePoll } from '../live.js';
import { runSeries, staleness } from '../runs.js';
import type { PollRun } from '../types.js';

const RUNS = 100;

/** GET /v1/runs answers a page of runs; a server without run history answers 404, which is "none yet", not an error. */
async function loadRuns(api: ApiClient): Promise<PollRun[] | null> {
  try {
    const answer = await api.get<{ runs?: PollRun[]; items?: PollRun[] }>('/v1/runs', { limit: RUNS });
    return answer.runs ?? answer.items ?? [];
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function PollerPage({ api }: { api: ApiClient }): VNode {
  const now = useNow();
  const polled = usePoll(() => loadRuns(api), 'runs', 5_000);
  const [error, setError] = useState<unknown>(null);
  const [last, setLast] = useState<{ text: string; busy: boolean } | null>(null);
  const runs = polled.data ?? [];
  const charts = useMemo(() => runSeries(runs), [polled.data]);
  const newest = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, 20);

  const pollNow = async () => {
    setError(null);
    setLast(null);
    try {
      const answer = await api.send<{
        summary: { leased: boolean; tasks: { polled: number; active: number }; durationMs: number; events: Record<string, number> };
      }>('POST', '/v1/poll');
      const s = answer.summary;
      const events = Object.values(s.events).reduce((sum, n) => sum + n, 0);
      const text = `Poll run done in ${formatMs(s.durationMs)}: ${s.tasks.polled} of ${s.tasks.active} active tasks polled, ${events} ${events === 1 ? 'event' : 'events'}.`;
      setLast({ text, busy: false });
      announce(text);
      await polled.refresh();
    } catch (caught) {
      // 409: the timer's run holds the lease; it is doing what was asked.
      if (caught instanceof ApiError && caught.status === 409) {
        setLast({ text: 'Another poll run is in progress; its results appear here shortly.', busy: true });
        announce('Another poll run is in progress.');
      } else {
        setLast(null);
        setError(caught);
        announce(`Poll failed: ${errorText(caught)}`);
      }
    }
  };

  const columns: Column<PollRun>[] = [
    { label: 'Started', cell: (r) => html`<${Time} at=${r.startedAt} now=${now} />` },
    { label: 'Duration', cell: (r) => (r.summary.durationMs != null ? formatMs(r.summary.durationMs) : '—') },
    {
      label: 'Tasks',
      cell: (r) =>
        r.summary.tasks ? `${r.summary.tasks.polled ?? 0} polled of ${r.summary.tasks.active ?? 0}, ${r.summary.tasks.deferred ?? 0} deferred` : '—',
    },
    {
      label: 'ECS calls',
      cell: (r) =>
        Object.keys(r.summary.ecsCalls ?? {}).length
          ? Object.entries(r.summary.ecsCalls ?? {}).map(([action, n]) => html`<div class="small">${action} <strong>${n}</strong></div>`)
          : '0',
    },
    { label: 'Throttled', cell: (r) => r.summary.throttled ?? 0 },
    {
      label: 'Blocked',
      cell: (r) => (r.summary.blocked?.length ? r.summary.blocked.map((b) => html`<div class="small">${b.regionId} <strong>${b.code}</strong></div>`) : '—'),
    },
    {
      label: 'Staleness',
      cell: (r) => {
        const seconds = staleness(r);
        return seconds !== null ? formatDuration(seconds) : '—';
      },
    },
  ];

  return html`<section aria-labelledby="poller-heading">
    <${PageHeading} id="poller-heading" sub=${html`<${LiveStatus} updatedAt=${polled.updatedAt} error=${polled.error} now=${now} />`}>Poller<//>
    <div class="toolbar">
      <button type="button" class="primary" onClick=${() => void pollNow()}>Poll now</button>
    </div>
    ${last ? html`<p class=${last.busy ? 'notice' : 'ok'}>${last.text}</p>` : null}
    ${
      newest[0]?.summary.blocked?.length
        ? html`<div class="error" role="alert" id="poller-blocked">
            <strong>Polling stopped in ${newest[0].summary.blocked.map((b) => b.regionId).join(', ')}</strong>
            ${newest[0].summary.blocked.map((b) => html`<p>${b.regionId}: ${b.reason}. <strong>Fix:</strong> ${b.fix}</p>`)}
          </div>`
        : null
    }
    <${ErrorNote} error=${error} />
    ${
      polled.data === null
        ? html`<p class="empty" id="no-runs">No run history yet: this server does not record poll runs (GET /v1/runs answered 404).</p>`
        : polled.data === undefined
          ? polled.error
            ? null
            : html`<p class="empty">Loading runs…</p>`
          : runs.length === 0
            ? html`<p class="empty" id="no-runs">No run history yet: no poll run has been recorded.</p>`
            : html`<div class="charts">
                  <${LineChart} id="chart-work" title="Work per run" x=${charts.x} series=${charts.work} leftUnit="count" />
                  <${LineChart}
                    id="chart-time"
                    title="Duration and staleness"
                    x=${charts.x}
                    series=${charts.time}
                    leftUnit="ms"
                    rightUnit=${charts.time.length > 1 ? 's' : undefined}
                  />
                </div>
                <h2>Recent runs</h2>
                <${Table} caption="Recent poll runs, newest first" columns=${columns} rows=${newest} rowKey=${(r: PollRun) => r.id} empty="No run yet." />`
    }
  </section>`;
}
