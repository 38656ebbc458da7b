/** A uPlot line chart that fills its container's width, follows its data, and is described for screen readers by a caption and a table beside it. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** Which y axis: the left one (default) or the right one, for a second unit. */
  axis?: 'left' | 'right';
}

/** Series colours, in order; the same classes colour the legend swatches (console.css). */
const COLOURS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490'];

const css = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

export function LineChart({
  id,
  title,
  x,
  series,
  leftUnit,
  rightUnit,
}: {
  id: string;
  title: string;
  x: number[];
  series: ChartSeries[];
  leftUnit: string;
  rightUnit?: string;
}): VNode {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}:${s.axis ?? 'left'}`).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const text = css('--muted', '#545b66');
    const grid = css('--grid', '#e5e7eb');
    const axis = (scale: string, side: 0 | 1, unit: string): uPlot.Axis => ({
      scale,
      side: side === 0 ? 3 : 1,
      stroke: text,
      grid: { stroke: grid, show: side === 0 },
      ticks: { stroke: grid },
      label: unit,
      labelSize: 20,
      size: 56,
    });
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: 220,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        left: { auto: true, range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
        right: { auto: true, range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
      },
      axes: [{ stroke: text, grid: { stroke: grid }, ticks: { stroke: grid } }, axis('left', 0, leftUnit), ...(rightUnit ? [axis('right', 1, rightUnit)] : [])],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          scale: s.axis ?? 'left',
          stroke: COLOURS[i % COLOURS.length],
          width: 2,
          points: { show: x.length < 30 },
          spanGaps: false,
        })),
      ],
    };
    const chart = new uPlot(opts, [x, ...series.map((s) => s.values)], el);
    chart.root.setAttribute('aria-hidden', 'true');
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(240, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change; new data goes through setData below.
  }, [shape, leftUnit, rightUnit]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)]);
  }, [x, series]);

  return html`<figure class="chart" aria-labelledby=${`${id}-caption`}>
    <figcaption id=${`${id}-caption`}>
      <span class="chart-title">${title}</span>
      <ul class="legend">
        ${series.map((s, i) => html`<li><span class=${`swatch swatch-${i % COLOURS.length}`} aria-hidden="true"></span>${s.label}${s.axis === 'right' && rightUnit ? ` (${rightUnit}, right axis)` : ''}</li>`)}
      </ul>
    </figcaption>
    <div class="chart-box" ref=${box} role="img" aria-label=${`${title}: a line chart of the runs in the table below`}></div>
  </figure>`;
}
