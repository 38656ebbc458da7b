/** The doctor: GET /v1/doctor's checks in a table, a failing one's fix beside it; run on opening the page and on request, never on a timer. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.js';
import { ErrorNote, PageHeading, Table, Time, errorText, type Column } from '../components.js';
import { announce, useNow } from '../live.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

/** The badge of each status, in the colours the webhook health badges use. */
const BADGES: Record<CheckStatus, { label: string; className: string }> = {
  pass: { label: 'pass', className: 'badge health-healthy' },
  warn: { label: 'warning', className: 'badge health-disabled' },
  fail: { label: 'failed', className: 'badge health-failing' },
  skip: { label: 'skipped', className: 'badge' },
};

/** "1 failed, 2 warnings, 7 passed, 3 skipped", leaving out the statuses no check has. */
export function doctorSummary(report: DoctorReport): string {
  const count = (status: CheckStatus) => report.checks.filter((c) => c.status === status).length;
  const parts: Array<[number, string, string]> = [
    [count('fail'), 'failed', 'failed'],
    [count('warn'), 'warning', 'warnings'],
    [count('pass'), 'passed', 'passed'],
    [count('skip'), 'skipped', 'skipped'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => `${n} ${n === 1 ? one : many}`)
    .join(', ');
}

const columns: Column<DoctorCheck>[] = [
  { label: 'Status', cell: (c) => html`<span class=${BADGES[c.status].className}>${BADGES[c.status].label}</span>` },
  { label: 'Check', className: 'wrap', cell: (c) => html`<code>${c.name}</code>` },
  { label: 'Found', className: 'wrap', cell: (c) => c.detail },
  {
    label: 'What to do',
    className: 'wrap',
    cell: (c) => (c.fix && c.status !== 'pass' ? html`<span class="doctor-fix">${c.fix}</span>` : html`<span class="none">—</span>`),
  },
];

export function DoctorPage({ api }: { api: ApiClient }): VNode {
  const now = useNow();
  const [report, setReport] = useState<DoctorReport | null>(null);
  const [checkedAt, setCheckedAt] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const run = async () => {
    setRunning(true);
    setError(null);
    try {
      const answer = await api.get<DoctorReport>('/v1/doctor');
      setReport(answer);
      setCheckedAt(new Date().toISOString());
      announce(answer.ok ? `Checks done: no check failed (${doctorSummary(answer)}).` : `Checks done: ${doctorSummary(answer)}.`);
    } catch (caught) {
      setError(caught);
      announce(`The checks could not run: ${errorText(caught)}`);
    } finally {
      setRunning(false);
    }
  };
  useEffect(() => void run(), []);

  const failed = report?.checks.filter((c) => c.status === 'fail') ?? [];
  return html`<section aria-labelledby="doctor-heading">
    <${PageHeading}
      id="doctor-heading"
      sub=${html`<p class="live">${running ? 'Checking…' : checkedAt ? html`Checked <${Time} at=${checkedAt} now=${now} />` : null}</p>`}
      >Doctor<//
    >
    <p class="muted">
      What <code>taskhook doctor</code> checks, as this API sees it: credentials, ECS permissions and clock, the store, each webhook's address and the hint
      settings. Each run makes a few ECS and store calls, so it runs when the page opens and when you ask.
    </p>
    <div class="toolbar">
      <button type="button" class="primary" disabled=${running} onClick=${() => void run()}>${running ? 'Checking…' : 'Run the checks again'}</button>
    </div>
    <${ErrorNote} error=${error} />
    ${
      report
        ? html`${
              report.ok
                ? html`<p class="ok" id="doctor-summary">No check failed: ${doctorSummary(report)}.</p>`
                : html`<div class="error" role="alert" id="doctor-summary">
                    <strong>${failed.length === 1 ? '1 check failed' : `${failed.length} checks failed`}</strong
                    >${`: ${failed.map((c) => c.name).join(', ')}. Overall ${doctorSummary(report)}.`}
                  </div>`
            }
            <${Table}
              caption="Checks, in the order they ran"
              columns=${columns}
              rows=${report.checks}
              rowKey=${(c: DoctorCheck) => c.name}
              empty="No checks."
            />`
        : error
          ? null
          : html`<p class="empty">Running the checks…</p>`
    }
  </section>`;
}
