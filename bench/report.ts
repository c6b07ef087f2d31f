/** Human-readable reports of a SuiteResult: the markdown table (README-ready) and the console text. */
import { isTimed, type ModelRow, type PeerRow, type SuiteResult } from './result.js';

export function ms(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x >= 0.1 ? x.toFixed(3) : x.toFixed(4);
}

function mega(n: number): string {
  return `${(n / 1e6).toFixed(2)} M`;
}

function pct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  return `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
}

function bytes(n: number): string {
  return n.toLocaleString('en-US');
}

/** Peer names in first-seen order over all rows. */
export function peerNames(r: SuiteResult): string[] {
  const names: string[] = [];
  for (const m of r.models) for (const p of m.peers) if (!names.includes(p.name)) names.push(p.name);
  return names;
}

function peerOf(m: ModelRow, name: string): PeerRow | undefined {
  return m.peers.find((p) => p.name === name);
}

function peerMs(m: ModelRow, name: string): string {
  const p = peerOf(m, name);
  return p && isTimed(p) ? ms(p.medianMs) : '—';
}

function ratioCell(m: ModelRow, target: number): string {
  if (m.ratio === null) return '—';
  return `${m.ratio.toFixed(2)} ${m.ratio <= target ? '✓' : '✗'}`;
}

function bitExactCell(m: ModelRow): string {
  if (!m.edgerun) return 'error';
  return m.edgerun.bitExact === null ? 'n/a' : m.edgerun.bitExact ? 'yes' : '**NO**';
}

function diffsCell(m: ModelRow): string {
  const cells = m.peers.filter(isTimed).map((p) => {
    if (!p.diff) return `${p.name} n/a`;
    const max = p.diff.sizeMismatch ? ', wrong size' : `, max ±${p.diff.maxAbs}`;
    return `${p.name} ${p.diff.bytes}/${p.diff.total}${p.diff.bytes ? max : ''}`;
  });
  return cells.length ? cells.join('; ') : '—';
}

function settingsLine(r: SuiteResult): string {
  const it = r.settings.iterations === 'auto' ? `~${r.settings.blockMs} ms blocks` : `${r.settings.iterations} iterations`;
  return `${r.settings.rounds} alternating rounds x ${it} per engine`;
}

export function markdown(r: SuiteResult): string {
  const peers = peerNames(r);
  const head = ['model', 'MACs', 'edgerun ms (p10–p90)', ...peers.map((p) => `${p} ms`), 'edgerun / faster peer',
    'paired ratio', 'edgerun GMAC/s', '% of ceiling', 'bit-exact', 'peer bytes ≠ reference'];
  const align = ['---', '---:', '---:', ...peers.map(() => '---:'), '---:', '---:', '---:', '---:', ':-:', '---'];
  const rows = r.models.map((m) => {
    const e = m.edgerun;
    return [
      `\`${m.name}\``, mega(m.macs),
      e ? `${ms(e.medianMs)} (${ms(e.p10Ms)}–${ms(e.p90Ms)})` : 'error',
      ...peers.map((p) => peerMs(m, p)),
      m.ratio === null ? '—' : `${ratioCell(m, r.targetRatio)} (vs ${m.fasterPeer})`,
      m.pairedRatio === null ? '—' : m.pairedRatio.toFixed(2),
      e ? e.gmacPerS.toFixed(2) : '—', e ? `${(e.ceilingFraction * 100).toFixed(0)}%` : '—',
      bitExactCell(m), diffsCell(m),
    ];
  });
  const skipped = r.models.flatMap((m) => m.peers.filter((p) => !isTimed(p)).map((p) => `${m.name}: ${p.name} skipped (${'skipped' in p ? p.skipped : ''})`));
  const wasm = [`edgerun ${bytes(r.wasm.edgerun)} B`, ...Object.entries(r.wasm.peers).map(([n, b]) => `${n} ${bytes(b)} B`)];
  const c = r.ceiling;
  return [
    `Median latency per inference, 1 thread, ${r.machine.cpu} (${r.machine.cores} cores), Node ${r.machine.node} ` +
      `(V8 ${r.machine.v8}), ${r.machine.os}, ${r.machine.date.slice(0, 10)}, edgerun ${r.machine.source}; ${settingsLine(r)}. ` +
      `Peers: TFLite + XNNPACK compiled to WebAssembly (SIMD128). Target: edgerun / faster peer ≤ ${r.targetRatio}.`,
    '',
    `| ${head.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `SIMD128 int8 dot-product ceiling on this machine (p90 of its timings): **${c.gmacPerS.toFixed(1)} GMAC/s** (\`${c.best}\`; ` +
      c.variants.map((v) => `\`${v.name}\` ${v.p90GmacPerS.toFixed(1)}`).join(', ') + ').',
    `Wasm binaries: ${wasm.join(', ')}.`,
    ...skipped.map((s) => `Note: ${s}.`),
    '',
  ].join('\n');
}

function pad(cells: string[][]): string[] {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
}

/** The console report: one line per model, then failures. */
export function text(r: SuiteResult): string {
  const peers = peerNames(r);
  const head = ['model', 'MACs', 'edgerun ms', 'p10', 'p90', 'vs base', ...peers, 'ratio', 'paired', 'GMAC/s', '%ceil', 'exact'];
  const rows = r.models.map((m) => {
    const e = m.edgerun;
    return [
      m.name, mega(m.macs), e ? ms(e.medianMs) : 'error', e ? ms(e.p10Ms) : '', e ? ms(e.p90Ms) : '',
      e ? pct(e.baselineDeltaPct) : '', ...peers.map((p) => peerMs(m, p)), ratioCell(m, r.targetRatio),
      m.pairedRatio === null ? '' : m.pairedRatio.toFixed(2), e ? e.gmacPerS.toFixed(2) : '', e ? `${(e.ceilingFraction * 100).toFixed(0)}%` : '', bitExactCell(m).replace(/\*/g, ''),
    ];
  });
  const lines = [...pad([head, ...rows])];
  lines.push('', `ceiling ${r.ceiling.gmacPerS.toFixed(2)} GMAC/s (${r.ceiling.best}); ${settingsLine(r)}; ` +
    `ratio = edgerun / faster peer (target ≤ ${r.targetRatio}), paired = median of the rounds' ratios; wall ${r.wallSeconds.toFixed(0)} s`);
  for (const m of r.models) {
    const drift = m.peers.filter(isTimed).filter((p) => p.baselineDeltaPct !== null)
      .map((p) => `${p.name} ${pct(p.baselineDeltaPct)}`);
    if (m.edgerun?.baselineDeltaPct != null) {
      lines.push(`  ${m.name}: edgerun ${pct(m.edgerun.baselineDeltaPct)} vs baseline${drift.length ? ` (peers: ${drift.join(', ')})` : ''}`);
    }
    for (const w of m.warnings) lines.push(`  ${m.name}: warning: ${w}`);
    for (const p of m.peers) if (!isTimed(p)) lines.push(`  ${m.name}: ${p.name} skipped: ${p.skipped}`);
  }
  lines.push(...failures(r).map((f) => `FAIL ${f}`));
  return lines.join('\n');
}

/** One line per failure that makes the suite exit non-zero. */
export function failures(r: SuiteResult): string[] {
  return r.models.flatMap((m) => {
    if (m.error !== null) return [`${m.name}: ${m.error}`];
    const d = m.edgerun?.diff;
    if (m.edgerun?.bitExact === false && d) {
      const how = d.sizeMismatch ? 'an output is missing or has the wrong size' : `${d.bytes} of ${d.total} bytes differ, max |diff| ${d.maxAbs}`;
      return [`${m.name}: edgerun output is NOT bit-exact with the TFLite reference (${how})`];
    }
    return [];
  });
}
