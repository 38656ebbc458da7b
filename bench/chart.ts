/** A hand-written SVG line chart, log–log: steady-state cycle time against watched tasks for taskhook, naive and the bound. */
import type { ScenarioSummary } from './report.js';

export interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: { x: number; y: number }[];
}

const W = 760;
const H = 460;
const M = { left: 70, right: 220, top: 40, bottom: 56 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmtN = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
const fmtS = (s: number) => (s >= 1 ? `${s} s` : `${s * 1000} ms`);

function decades(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out;
}

export function lineChart(title: string, series: Series[]): string {
  const xs = series.flatMap((s) => s.points.map((p) => p.x)).filter((v) => v > 0);
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((v) => v > 0);
  if (xs.length === 0 || ys.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="80"><text x="10" y="40" font-family="sans-serif">${esc(title)}: no data</text></svg>\n`;
  }
  const xTicks = decades(Math.min(...xs), Math.max(...xs));
  const yTicks = decades(Math.min(...ys), Math.max(...ys));
  const [x0, x1] = [Math.log10(xTicks[0]), Math.log10(xTicks[xTicks.length - 1])];
  const [y0, y1] = [Math.log10(yTicks[0]), Math.log10(yTicks[yTicks.length - 1])];
  const px = (x: number) => M.left + ((Math.log10(x) - x0) / Math.max(1e-9, x1 - x0)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((Math.log10(y) - y0) / Math.max(1e-9, y1 - y0)) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of xTicks) {
    parts.push(`<line x1="${px(t)}" y1="${M.top}" x2="${px(t)}" y2="${H - M.bottom}" stroke="#ddd"/>`);
    parts.push(`<text x="${px(t)}" y="${H - M.bottom + 18}" text-anchor="middle">${fmtN(t)}</text>`);
  }
  for (const t of yTicks) {
    parts.push(`<line x1="${M.left}" y1="${py(t)}" x2="${W - M.right}" y2="${py(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 8}" y="${py(t) + 4}" text-anchor="end">${fmtS(t)}</text>`);
  }
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 14}" text-anchor="middle">watched tasks (log scale)</text>`);
  parts.push(
    `<text x="18" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(M.top + H - M.bottom) / 2})">cycle time (log scale)</text>`,
  );
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p.x > 0 && p.y > 0).sort((a, b) => a.x - b.x);
    const dash = s.dashed ? ' stroke-dasharray="7 5"' : '';
    if (pts.length > 1) {
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`,
      );
    }
    for (const p of pts) parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    const ly = M.top + 10 + i * 22;
    const lx = W - M.right + 16;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${lx + 36}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

const COLORS = { taskhook: '#1f6feb', naive: '#d1242f', bound: '#57606a' };

/** taskhook (SQLite, steady state), the naive poller and the lower bound, for 1 and 4 regions. */
export function cycleTimeChart(summaries: ScenarioSummary[]): string {
  const series: Series[] = [];
  for (const regions of [1, 4]) {
    const rows = summaries.filter((s) => s.store === 'sqlite' && s.regions === regions);
    if (rows.length === 0) continue;
    const dashed = regions === 4;
    const suffix = `, ${regions} region${regions > 1 ? 's' : ''}`;
    series.push({ label: `taskhook${suffix}`, color: COLORS.taskhook, dashed, points: rows.map((r) => ({ x: r.tasks, y: r.cycleMs / 1000 })) });
    series.push({
      label: `naive${suffix}`,
      color: COLORS.naive,
      dashed,
      points: rows.filter((r) => r.naiveMs !== null).map((r) => ({ x: r.tasks, y: r.naiveMs! / 1000 })),
    });
    series.push({ label: `lower bound${suffix}`, color: COLORS.bound, dashed, points: rows.map((r) => ({ x: r.tasks, y: r.boundMs / 1000 })) });
  }
  return lineChart('Poll cycle time vs watched tasks (SQLite, 1 % finishing per cycle)', series);
}
