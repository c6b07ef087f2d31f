/**
 * The activation arena as a report, an ASCII timeline and an SVG picture (op index x offset).
 * Everything is read from a prepared layout (layout.arena: buffers + offsets); nothing here plans.
 * Buffers occupy their size rounded up to ALIGN in the arena; a buffer is named by its tensor
 * (tensors aliased into it, RESHAPE outputs and in-place outputs, share it); scratch buffers have
 * ids >= the model's tensor count and live for the one op that uses them.
 */
import type { Model } from '../tflite/model.js';
import { ALIGN } from './arena.js';
import type { MemoryLayout } from './layout.js';

export interface PlanBuffer {
  /** Tensor index, or an id >= the model's tensor count for an op's scratch buffer. */
  tensor: number;
  name: string;
  bytes: number;
  /** Offset from the start of the arena. */
  offset: number;
  /** First and last op index (inclusive) at which the buffer is live. */
  first: number;
  last: number;
}

export interface PlanReport {
  arenaBytes: number;
  lowerBoundBytes: number;
  ramBytes: number;
  romDataBytes: number;
  /** In timeline order: by first op, then offset, then tensor. */
  buffers: PlanBuffer[];
}

/** What the report is read from: an EdgerunModel fits. */
export interface PlannedModel {
  prepared: { model: Model; layout: MemoryLayout };
  memory: { ramBytes: number; romDataBytes: number };
}

/**
 * The arena's buffers with op-index lifetimes. The layout's lifetimes count kernel calls (an
 * aliasing RESHAPE has none), so each step maps to its call's op; buffers holding a graph input
 * or output also cover call-less ops before the first call or after the last.
 */
export function planReport(source: PlannedModel): PlanReport {
  const { model, layout } = source.prepared;
  const { arena, calls } = layout;
  const opOf = (step: number) => calls[step]?.opIndex ?? step;
  const lastStep = calls.length - 1;
  const lastOp = Math.max(0, model.operators.length - 1);
  const at = (tensors: number[]) => new Set(tensors.map((t) => layout.tensorAddress.get(t)));
  const [inputAt, outputAt] = [at(model.inputs), at(model.outputs)];
  const buffers = arena.buffers.map((b): PlanBuffer => {
    const offset = arena.offsets.get(b.tensor);
    if (offset === undefined) throw new Error(`internal: arena buffer ${b.tensor} has no offset`);
    const scratch = b.tensor >= model.tensors.length;
    const address = layout.arenaStart + offset;
    const first = !scratch && b.first === 0 && inputAt.has(address) ? 0 : opOf(b.first);
    const last = !scratch && b.last === lastStep && outputAt.has(address) ? lastOp : opOf(b.last);
    const name = scratch ? `scratch (op ${first})` : model.tensors[b.tensor].name;
    return { tensor: b.tensor, name, bytes: b.bytes, offset, first, last };
  });
  buffers.sort((a, b) => a.first - b.first || a.offset - b.offset || a.tensor - b.tensor);
  return {
    arenaBytes: arena.arenaBytes, lowerBoundBytes: arena.lowerBoundBytes,
    ramBytes: source.memory.ramBytes, romDataBytes: source.memory.romDataBytes, buffers,
  };
}

const footprint = (b: PlanBuffer) => Math.ceil(b.bytes / ALIGN) * ALIGN;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const commas = (n: number) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const SYMBOLS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The letter that marks buffer i in the timeline (repeats past 62 buffers; the list tells them apart). */
export const bufferSymbol = (i: number) => SYMBOLS[i % SYMBOLS.length];

function stepCount(report: PlanReport, ops: readonly string[]): number {
  return Math.max(ops.length, ...report.buffers.map((b) => b.last + 1), 1);
}

/** Labels every `every` steps so that labels never touch: a header line of width steps * width. */
function stepHeader(steps: number, width: number): string {
  const digits = String(steps - 1).length;
  const every = [1, 2, 5, 10, 20, 50, 100].find((k) => k * width >= digits + 1) ?? 100;
  const line = Array<string>(steps * width).fill(' ');
  for (let s = 0; s < steps; s += every) {
    const label = String(s);
    const at = width >= digits ? s * width + width - label.length : s * width;
    for (let k = 0; k < label.length; k++) line[at + k] = label[k];
  }
  return line.join('').trimEnd();
}

/** Row height of the timeline: a round multiple of ALIGN giving at most 28 rows. */
function rowBytesFor(arena: number): number {
  for (let base = ALIGN; ; base *= 2) {
    for (const f of [1, 1.25, 1.5]) {
      const v = base * f;
      if (v % ALIGN === 0 && arena / v <= 28) return v;
    }
  }
}

const overlapOf = (b: PlanBuffer, lo: number, hi: number) => Math.min(hi, b.offset + footprint(b)) - Math.max(lo, b.offset);

/**
 * grid[step][row] = indices of the buffers shown in that cell (empty: free). A cell shows the
 * buffer holding most of the row. A live buffer too small to win any cell of its column takes
 * its best row from a buffer that shows in other rows too, or else shares its best row's cell.
 */
function cellGrid(report: PlanReport, steps: number, rows: number, rowBytes: number): number[][][] {
  const range = (r: number): [number, number] => [r * rowBytes, Math.min((r + 1) * rowBytes, report.arenaBytes)];
  const grid: number[][][] = [];
  for (let s = 0; s < steps; s++) {
    const live = report.buffers.map((b, i) => ({ b, i })).filter(({ b }) => b.first <= s && s <= b.last);
    const column = Array.from({ length: rows }, (_, r) => {
      let [best, bestBytes] = [-1, 0];
      for (const { b, i } of live) {
        const overlap = overlapOf(b, ...range(r));
        if (overlap > bestBytes) [best, bestBytes] = [i, overlap];
      }
      return best < 0 ? [] : [best];
    });
    const forced = new Set<number>();
    const shows = (i: number) => column.filter((c) => c[0] === i).length;
    for (const { b, i } of live) {
      if (column.some((c) => c.includes(i))) continue;
      const candidates = [...Array(rows).keys()].filter((r) => overlapOf(b, ...range(r)) > 0)
        .sort((r1, r2) => overlapOf(b, ...range(r2)) - overlapOf(b, ...range(r1)));
      const r = candidates.find((c) => column[c].length === 0 || (!forced.has(c) && shows(column[c][0]) > 1));
      if (r !== undefined) {
        column[r] = [i];
        forced.add(r);
      } else if (candidates.length > 0) {
        column[candidates[0]].push(i);
      }
    }
    grid.push(column);
  }
  return grid;
}

/** A cell's text: one buffer fills the cell; several are listed (as many as fit). */
function cellText(cell: number[], width: number): string {
  if (cell.length === 0) return (width > 1 ? ' .' : '.').padEnd(width);
  if (cell.length === 1 || width === 1) return bufferSymbol(cell[0]).repeat(width);
  return cell.map(bufferSymbol).join('').slice(0, width).padEnd(width);
}

/** The timeline rows, highest offsets first, between two borders. */
function timelineRows(report: PlanReport, steps: number, width: number): string[] {
  const arena = Math.max(report.arenaBytes, ALIGN);
  const rowBytes = rowBytesFor(arena);
  const rows = Math.ceil(arena / rowBytes);
  const grid = cellGrid(report, steps, rows, rowBytes);
  const label = (n: number) => commas(n).padStart(9);
  const lb = report.lowerBoundBytes;
  const border = `${'-'.repeat(steps * width)}+`;
  const lines = [`${label(report.arenaBytes)} +${border}${lb === report.arenaBytes ? '  <- arena = lower bound' : '  <- arena'}`];
  for (let r = rows - 1; r >= 0; r--) {
    const lo = r * rowBytes;
    const cells = grid.map((column) => cellText(column[r], width));
    const marker = lb < report.arenaBytes && lo < lb && lb <= lo + rowBytes ? `  <- lower bound ${commas(lb)}` : '';
    lines.push(`${label(lo)} |${cells.join('')}|${marker}`);
  }
  lines.push(`${' '.repeat(9)} +${border}`);
  return lines;
}

/** The ASCII timeline: totals, the op x offset picture, and one line per buffer. */
export function renderPlanText(report: PlanReport, ops: readonly string[], title = 'activation arena'): string {
  const steps = stepCount(report, ops);
  const width = steps <= 20 ? 3 : steps <= 40 ? 2 : 1;
  const { arenaBytes: arena, lowerBoundBytes: lb } = report;
  const ratio = lb > 0 ? ` (${((arena / lb) * 100).toFixed(1)}% of the lower bound)` : '';
  const lines = [
    `${title}: ${plural(ops.length, 'op')}, ${plural(report.buffers.length, 'buffer')}`,
    `arena ${commas(arena)} B  lower bound ${commas(lb)} B${ratio}`,
    `RAM ${commas(report.ramBytes)} B  ROM data ${commas(report.romDataBytes)} B  linear memory ${commas(report.ramBytes + report.romDataBytes)} B`,
    '',
    `${'offset'.padStart(9)}  ${stepHeader(steps, width)}   <- op`,
    ...timelineRows(report, steps, width),
    '',
    'buffers:      tensor      bytes     offset  ops     name',
  ];
  report.buffers.forEach((b, i) => {
    const span = `${b.first}..${b.last}`.padEnd(7);
    const name = b.name.length > 60 ? `${b.name.slice(0, 57)}...` : b.name;
    lines.push(`  ${bufferSymbol(i)}  ${String(b.tensor).padStart(12)} ${commas(b.bytes).padStart(10)} ${commas(b.offset).padStart(10)}  ${span} ${name}`);
  });
  if (ops.length > 0) lines.push('', `ops: ${ops.map((op, i) => `${i} ${op}`).join(', ')}`);
  return lines.join('\n');
}

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** A round tick step giving at most `most` ticks over [0, max]. */
function tickStep(max: number, most: number): number {
  for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) if (max / (m * p) <= most) return m * p;
}

/** The same picture as SVG: x = op index, y = arena offset (0 at the bottom). Hand-written, no dependencies. */
export function renderPlanSvg(report: PlanReport, ops: readonly string[], title = 'activation arena'): string {
  const steps = stepCount(report, ops);
  const col = Math.max(14, Math.min(48, Math.floor(720 / steps)));
  const [left, top, plotW, plotH] = [84, 58, steps * col, 380];
  const [width, height] = [left + plotW + 170, top + plotH + 56];
  const span = Math.max(report.arenaBytes, report.lowerBoundBytes, ALIGN);
  const y = (offset: number) => top + plotH - (offset / span) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${xml(title)}</text>`,
    `<text x="${left}" y="38">arena ${commas(report.arenaBytes)} B, lower bound ${commas(report.lowerBoundBytes)} B, RAM ${commas(report.ramBytes)} B, ROM data ${commas(report.romDataBytes)} B</text>`,
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="#f6f6f6" stroke="#999999"/>`,
  ];
  report.buffers.forEach((b, i) => {
    const [x, w] = [left + b.first * col, (b.last - b.first + 1) * col];
    const y1 = y(b.offset);
    const h = Math.max(2, y1 - y(b.offset + footprint(b))); // the smallest buffers stay visible
    const y0 = y1 - h;
    const fill = b.name.startsWith('scratch (') ? '#a0a0a0' : `hsl(${(i * 137.508) % 360}, 55%, 68%)`;
    out.push(`<g><title>${xml(`tensor ${b.tensor} "${b.name}": ${commas(b.bytes)} B at offset ${commas(b.offset)}, ops ${b.first}..${b.last}`)}</title>`,
      `<rect x="${x}" y="${y0.toFixed(2)}" width="${w}" height="${h.toFixed(2)}" fill="${fill}" stroke="#444444" stroke-width="0.5"/>`);
    const label = String(b.tensor);
    if (h >= 11 && w >= label.length * 7 + 2) out.push(`<text x="${x + w / 2}" y="${(y0 + h / 2 + 4).toFixed(2)}" text-anchor="middle" font-size="10">${label}</text>`);
    out.push('</g>');
  });
  out.push(...svgAxes(report, steps, col, { left, top, plotW, plotH, y, span }),
    `<rect x="${left + plotW + 10}" y="${top + plotH - 34}" width="12" height="12" fill="#a0a0a0" stroke="#444444" stroke-width="0.5"/>`,
    `<text x="${left + plotW + 27}" y="${top + plotH - 24}">scratch</text>`,
    `<text x="${left + plotW + 10}" y="${top + plotH - 4}">numbers: tensor index</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function svgAxes(
  report: PlanReport, steps: number, col: number,
  g: { left: number; top: number; plotW: number; plotH: number; y: (o: number) => number; span: number },
): string[] {
  const out: string[] = [];
  const tick = tickStep(g.span, 8);
  for (let o = 0; o <= g.span; o += tick) {
    const yy = g.y(o).toFixed(2);
    out.push(`<line x1="${g.left - 5}" y1="${yy}" x2="${g.left}" y2="${yy}" stroke="#333333"/>`,
      `<text x="${g.left - 8}" y="${(g.y(o) + 4).toFixed(2)}" text-anchor="end">${commas(o)}</text>`);
  }
  out.push(`<text x="14" y="${g.top + g.plotH / 2}" transform="rotate(-90 14 ${g.top + g.plotH / 2})" text-anchor="middle">arena offset (bytes)</text>`);
  const every = [1, 2, 5, 10, 20, 50].find((k) => k * col >= 16) ?? 100;
  const base = g.top + g.plotH;
  for (let s = 0; s < steps; s += every) {
    const x = g.left + s * col + col / 2;
    out.push(`<line x1="${x}" y1="${base}" x2="${x}" y2="${base + 5}" stroke="#333333"/>`,
      `<text x="${x}" y="${base + 18}" text-anchor="middle">${s}</text>`);
  }
  out.push(`<text x="${g.left + g.plotW / 2}" y="${base + 40}" text-anchor="middle">op index (execution step)</text>`);
  const right = g.left + g.plotW;
  const lbY = g.y(report.lowerBoundBytes).toFixed(2);
  const arenaY = g.y(report.arenaBytes).toFixed(2);
  out.push(`<line x1="${g.left}" y1="${arenaY}" x2="${right + 6}" y2="${arenaY}" stroke="#333333"/>`,
    `<line x1="${g.left}" y1="${lbY}" x2="${right + 6}" y2="${lbY}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  if (report.arenaBytes === report.lowerBoundBytes) {
    out.push(`<text x="${right + 10}" y="${(g.y(report.arenaBytes) + 4).toFixed(2)}" fill="#d62728">arena = lower bound</text>`);
  } else {
    out.push(`<text x="${right + 10}" y="${(g.y(report.arenaBytes) + 4).toFixed(2)}">arena ${commas(report.arenaBytes)}</text>`,
      `<text x="${right + 10}" y="${(g.y(report.lowerBoundBytes) + 4).toFixed(2)}" fill="#d62728">lower bound ${commas(report.lowerBoundBytes)}</text>`);
  }
  return out;
}
