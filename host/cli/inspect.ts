/** `edgerun inspect`. */
import { inspectModel, type ModelReport, type TensorInfo } from '../index.js';
import { kernelsOption, modelPath, optimizeOption, parseArgs } from './args.js';
import { HELP } from './help.js';
import { label } from '../tflite/reader.js';
import { fmtShape } from './tensors.js';

export function tensorLine(t: TensorInfo): string {
  const q = t.scale ? `  scale ${t.scale}  zero point ${t.zeroPoint}` : '';
  return `  ${JSON.stringify(t.name)}  ${fmtShape(t.shape)}  ${t.dtype}${q}`;
}

export function printReport(path: string, r: ModelReport): void {
  const lines = [`${path}`, `ops (${r.ops.length}):`];
  r.ops.forEach((op, i) => lines.push(`  ${String(i).padStart(3)}  ${label(op)}`));
  lines.push('inputs:');
  for (const t of r.inputs) lines.push(tensorLine(t));
  lines.push('outputs:');
  for (const t of r.outputs) lines.push(tensorLine(t));
  if (r.unsupported.length > 0) {
    lines.push(`unsupported ops: ${r.unsupported.map((u) => `${label(u.op)} (op ${u.index})`).join(', ')}`);
  }
  if (r.memory) {
    const m = r.memory;
    lines.push('memory (bytes):',
      `  arena ${m.arenaBytes} (lower bound ${m.lowerBoundBytes})  weights ${m.weightsBytes}  params ${m.paramsBytes}  code ${m.codeBytes}`,
      `  RAM ${m.ramBytes}  ROM ${m.romBytes}`);
  } else {
    lines.push('memory: not computed (the model has unsupported ops)');
  }
  if (r.module) {
    const m = r.module;
    const twins = m.scalarKernels.length > 0 ? ` (scalar twin: ${m.scalarKernels.join(', ')})` : '';
    const optimize = m.optimize ? `, optimized for ${m.optimize}` : '';
    lines.push(`compiled module (${m.format}): ${m.kernels} kernels${twins}${optimize}, ${m.calls} kernel calls, ${m.macs} MACs`,
      `  ${m.bytes} bytes = code ${m.codeBytes} + data ${m.dataBytes}; memory ${m.pages} page${m.pages === 1 ? '' : 's'} of 64 KiB`,
      `  source model: ${m.model.bytes} bytes, sha256 ${m.model.sha256}`);
    if (m.frontEnd) {
      const fe = m.frontEnd;
      lines.push(`  DSP front-end: features() turns ${fe.samples} samples into ${fe.context} x ${fe.featureCount} inputs; ` +
        `ROM data ${fe.romDataBytes}, RAM ${fe.ramBytes} (included above)`);
    }
  }
  if (r.pm) {
    const p = r.pm;
    const f = p.features;
    const rule = p.task === 'rul' ? `remaining life < ${p.threshold} s` : `score > ${p.threshold}`;
    lines.push(`predictive maintenance (edgerun.pm): ${p.task}, score ${p.score}, anomaly when ${rule}`,
      `  columns ${p.columns.join(',')}; window ${f.windowSize} hop ${f.hop} at ${f.sampleRate} Hz; features ${f.features.join('+')}; context ${p.context}` +
      (p.labels ? `; classes ${p.labels.join(', ')}` : ''));
  }
  console.log(lines.join('\n'));
}

export function cmdInspect(argv: string[]): void {
  const args = parseArgs(argv, ['--json', '--kernels', '--optimize']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.inspect);
  const path = modelPath(args, 'inspect');
  const report = inspectModel(path, { kernels: kernelsOption(args), optimize: optimizeOption(args) });
  if (args.flags.has('--json')) console.log(JSON.stringify(report));
  else printReport(path, report);
}

