/** `edgerun plan`. */
import { InputError, loadModel, planReport, renderPlanSvg, renderPlanText } from '../index.js';
import { extname } from 'node:path';
import { modelPath, one, optimizeOption, parseArgs } from './args.js';
import { HELP } from './help.js';
import { writeFileAtomic } from './tensors.js';

export function cmdPlan(argv: string[]): void {
  const args = parseArgs(argv, ['--svg', '--json', '--optimize']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.plan);
  const path = modelPath(args, 'plan');
  const svg = args.flags.has('--svg') ? one(args, '--svg', '') : undefined;
  if (svg !== undefined && extname(svg).toLowerCase() !== '.svg') throw new InputError(`--svg ${svg}: the file name must end in .svg`);
  const model = loadModel(path, { optimize: optimizeOption(args) });
  const report = planReport(model);
  if (svg !== undefined) writeFileAtomic(svg, renderPlanSvg(report, model.ops, path));
  if (args.flags.has('--json')) return void console.log(JSON.stringify(report));
  console.log(renderPlanText(report, model.ops, path));
  if (svg !== undefined) console.log(`\nwrote ${svg}`);
}

