/**
 * The results chart, hand-written SVG (no dependencies): per model, one bar per engine, each
 * median divided by the faster peer's median (so networks of any size share one axis; lower is
 * better), with the issue's target drawn as a dashed line. Without peers, bars are relative to edgerun.
 */
import { ms, peerNames } from './report.js';
import { isTimed, type ModelRow, type SuiteResult } from './result.js';

const COLORS = ['#1f6fb2', '#e08a2c', '#8c8c8c', '#5aa05a', '#a05aa0'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const W = 820;
const H = 400;
const M = { left: 56, right: 70, top: 64, bottom: 78 };
/** The axis stops here; longer bars are cut with a break mark and labelled with their value. */
const Y_CAP = 2.4;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(x: number): string {
  return String(Math.round(x * 10) / 10);
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}" ${attrs}>${esc(s)}</text>`;
}

/** Medians per engine (edgerun first, then peers in order; NaN where absent) and the unit they are divided by. */
function medians(m: ModelRow, peers: string[]): { values: number[]; unit: number } {
  const values = [m.edgerun?.medianMs ?? NaN, ...peers.map((n) => {
    const p = m.peers.find((q) => q.name === n);
    return p && isTimed(p) ? p.medianMs : NaN;
  })];
  const peerBest = Math.min(...values.slice(1).filter(Number.isFinite));
  return { values, unit: Number.isFinite(peerBest) ? peerBest : values[0] };
}

export function chart(r: SuiteResult): string {
  const engines = ['edgerun', ...peerNames(r)];
  const hasPeers = engines.length > 1;
  const groups = r.models.map((m) => ({ m, ...medians(m, engines.slice(1)) }));
  const top = Math.max(1.2, ...groups.flatMap((g) => g.values.map((v) => v / g.unit)).filter(Number.isFinite)) * 1.08;
  const yMax = Math.min(Y_CAP, Math.ceil(top / 0.2) * 0.2);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v: number): number => M.top + plotH * (1 - v / yMax);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(text(M.left, 22, hasPeers
    ? 'Median latency per inference relative to the faster peer (= 1.0); lower is better'
    : 'Median latency per inference relative to edgerun (= 1.0)', 'font-size="15" font-weight="bold" fill="#222"'));
  out.push(text(M.left, 40, `${r.machine.cpu}, Node ${r.machine.node}, 1 thread, WebAssembly SIMD128 · ${r.machine.date.slice(0, 10)}`, 'fill="#666"'));
  for (let v = 0; v <= yMax + 1e-9; v += 0.2) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#e4e4e4"/>`);
    out.push(text(M.left - 6, y(v) + 4, v.toFixed(1), 'text-anchor="end" fill="#555"'));
  }
  const groupW = plotW / Math.max(1, groups.length);
  const barW = Math.min(34, (groupW * 0.78) / engines.length);
  groups.forEach((g, gi) => {
    const x0 = M.left + gi * groupW + (groupW - barW * engines.length) / 2;
    g.values.forEach((v, k) => {
      const x = x0 + k * barW;
      if (!Number.isFinite(v)) {
        out.push(text(x + barW / 2, y(0) - 4, '–', 'text-anchor="middle" fill="#999"'));
        return;
      }
      const rel = v / g.unit;
      const shownRel = Math.min(rel, yMax);
      out.push(`<rect x="${num(x + 1)}" y="${num(y(shownRel))}" width="${num(barW - 2)}" height="${num(y(0) - y(shownRel))}" fill="${COLORS[k % COLORS.length]}"><title>${esc(`${engines[k]}: ${ms(v)} ms (${rel.toFixed(2)})`)}</title></rect>`);
      if (rel > yMax) {
        const by = y(yMax) + 14;
        out.push(`<path d="M${num(x)} ${num(by + 4)} L${num(x + barW)} ${num(by - 4)} M${num(x)} ${num(by + 9)} L${num(x + barW)} ${num(by + 1)}" stroke="#fff" stroke-width="3"/>`);
      }
      out.push(text(x + barW / 2, y(shownRel) - 4, rel > yMax ? `${rel.toFixed(rel >= 10 ? 0 : 1)}×` : rel.toFixed(2), 'text-anchor="middle" font-size="10" fill="#333"'));
    });
    const cx = M.left + gi * groupW + groupW / 2;
    out.push(text(cx, y(0) + 18, g.m.name, 'text-anchor="middle" font-weight="bold" fill="#222"'));
    out.push(text(cx, y(0) + 34, `1.0 = ${ms(g.unit)} ms`, 'text-anchor="middle" font-size="11" fill="#666"'));
    if (g.m.edgerun?.bitExact === false || g.m.error) out.push(text(cx, y(0) + 49, 'NOT bit-exact / failed', 'text-anchor="middle" font-size="11" fill="#c00"'));
  });
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${num(y(0))}" y2="${num(y(0))}" stroke="#444"/>`);
  if (hasPeers) {
    const ty = y(r.targetRatio);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${num(ty)}" y2="${num(ty)}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(text(W - M.right + 6, ty + 4, `target ${r.targetRatio}`, 'font-size="11" fill="#c0392b"'));
  }
  let lx = M.left;
  engines.forEach((name, k) => {
    out.push(`<rect x="${lx}" y="${H - 22}" width="12" height="12" fill="${COLORS[k % COLORS.length]}"/>`);
    out.push(text(lx + 17, H - 12, name, 'fill="#222"'));
    lx += 34 + name.length * 7;
  });
  out.push('</svg>', '');
  return out.join('\n');
}
