/** Small pieces every page uses: times, progress, outcome badges, page headings, error notes and tables that stack on a phone. */
import type { ComponentChildren, VNode } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api.js';
import { absoluteTime, formatDuration, outcomeLabel, relativeTime } from './format.js';

/** A time as "12 s ago" (or "in 3 min"), with the exact local time on hover and in `datetime`. */
export function Time({ at, now }: { at: string | null | undefined; now: number }): VNode {
  if (!at) return html`<span class="none">—</span>`;
  return html`<time datetime=${at} title=${absoluteTime(at)}>${relativeTime(at, now)}</time>`;
}

/** A native <progress> with its percentage beside it; "—" when ECS gave none. */
export function Progress({ value, label }: { value: number | null | undefined; label: string }): VNode {
  if (value == null) return html`<span class="none">—</span>`;
  return html`<span class="progress"><progress max="100" value=${value} aria-label=${label}></progress><span class="pct">${value} %</span></span>`;
}

export function OutcomeBadge({ outcome, status }: { outcome: string | null | undefined; status?: string | null }): VNode {
  const key = outcome ?? 'unpolled';
  const text = outcome ? outcomeLabel(outcome) : 'not polled yet';
  return html`<span class=${`badge outcome-${key}`}>${text}${status && outcome ? html` <span class="raw">(${status})</span>` : null}</span>`;
}

/** Text for screen readers only, e.g. which webhook a "Disable" button disables. */
export function Hidden({ children }: { children: ComponentChildren }): VNode {
  return html`<span class="visually-hidden">${children}</span>`;
}

export function Duration({ seconds }: { seconds: number | null }): VNode {
  return seconds == null ? html`<span class="none">—</span>` : html`<span>${formatDuration(seconds)}</span>`;
}

/**
 * The page's heading. After a route change it takes the focus (it has tabindex -1), so a keyboard or screen-reader
 * user starts reading the new page; the first page after load leaves focus where the browser put it.
 */
let firstHeading = true;
export function PageHeading({ children, sub, id }: { children: ComponentChildren; sub?: ComponentChildren; id?: string }): VNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (firstHeading) firstHeading = false;
    else ref.current?.focus();
  }, []);
  return html`<div class="page-head">
    <h1 tabindex="-1" id=${id} ref=${ref}>${children}</h1>
    ${sub ? html`<div class="sub">${sub}</div>` : null}
  </div>`;
}

/** "updated 2 s ago" beside a live page's heading, or why the last refresh failed. */
export function LiveStatus({ updatedAt, error, now }: { updatedAt: number | null; error?: Error; now: number }): VNode {
  if (error && !(error instanceof ApiError && error.status === 401))
    return html`<p class="live live-error" role="alert">Refresh failed: ${errorText(error)}. Retrying.</p>`;
  if (updatedAt === null) return html`<p class="live">Loading…</p>`;
  return html`<p class="live"><span class="dot" aria-hidden="true"></span> Live · updated ${relativeTime(new Date(updatedAt).toISOString(), now)}</p>`;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNote({ error, id }: { error: unknown; id?: string }): VNode | null {
  if (!error) return null;
  return html`<p class="error" role="alert" id=${id}>${errorText(error)}</p>`;
}

export interface Column<T> {
  label: string;
  /** Shown visually hidden (e.g. an actions column). */
  hiddenLabel?: boolean;
  className?: string;
  cell: (row: T) => ComponentChildren;
}

/** A table that becomes one card per row below 700 px: each cell then shows its column's label (from `data-label`). */
export function Table<T>({
  caption,
  columns,
  rows,
  rowKey,
  empty,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  empty: string;
}): VNode {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table class="stack">
    <caption class="visually-hidden">
      ${caption}
    </caption>
    <thead>
      <tr>
        ${columns.map((c) => html`<th scope="col" class=${c.className}>${c.hiddenLabel ? html`<span class="visually-hidden">${c.label}</span>` : c.label}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr key=${rowKey(row)}>
            ${columns.map((c) => html`<td data-label=${c.hiddenLabel ? '' : c.label} class=${c.className}><div class="cell">${c.cell(row)}</div></td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A labelled <select> whose first option means "any". */
export function FilterSelect({
  id,
  label,
  value,
  options,
  onChange,
  anyLabel = 'any',
}: {
  id: string;
  label: string;
  value: string;
  options: string[];
  onChange: (value: string) => void;
  anyLabel?: string;
}): VNode {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <select id=${id} value=${value} onChange=${(e: Event) => onChange((e.currentTarget as HTMLSelectElement).value)}>
      <option value="">${anyLabel}</option>
      ${options.map((o) => html`<option value=${o}>${o}</option>`)}
    </select>
  </div>`;
}
