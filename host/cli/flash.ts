/** `edgerun flash`: a bundle onto gateways (HTTP) or a fleet (MQTT). */
import { readFileSync } from 'node:fs';
import { decodeBundle } from '../bundle/container.js';
import { loadTrust } from '../bundle/keys.js';
import { verifyBundle } from '../bundle/verify.js';
import { flashHttp, formatShare, type GatewayReport, parseShare, type RolloutReport } from '../gateway/flash.js';
import { flashFleet } from '../gateway/fleet.js';
import { intOption } from '../gateway/options.js';
import { checkBrokerUrl, checkPrefix, checkSegment, DEFAULT_PREFIX, redactUrl } from '../gateway/topics.js';
import { EdgerunError, InputError } from '../index.js';
import { one, parseArgs } from './args.js';
import { HELP } from './help.js';

/** A rollout that stopped, or in which gateways failed beyond --max-failures: exit 5. */
export class RolloutError extends EdgerunError {
  override readonly exitCode: number = 5;
}

function line(g: GatewayReport): string {
  const detail = g.outcome === 'installed' || g.outcome === 'current' ? `v${g.version}` : `${g.reason ? `${g.reason}: ` : ''}${g.error ?? ''}`;
  return `  ${g.gateway.padEnd(24)} ${g.outcome.padEnd(9)} ${detail} (${g.ms.toFixed(0)} ms${g.phase === 'canary' ? ', canary' : ''})`;
}

export async function cmdFlash(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['--gateway', '--mqtt', '--fleet', '--mqtt-prefix', '--canary', '--expect', '--max-failures', '--timeout', '--trust', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.flash);
  if (args.positional.length !== 1) throw new InputError('flash takes one BUNDLE argument (see edgerun flash --help)');
  const path = args.positional[0];
  const http = args.flags.has('--gateway');
  const mqtt = args.flags.has('--mqtt');
  if (http === mqtt) throw new InputError('flash needs either --gateway URL[,URL...] or --mqtt URL --fleet GROUP');
  let bundle: Uint8Array;
  try {
    bundle = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (args.flags.has('--trust')) verifyBundle(decodeBundle(bundle), { trust: loadTrust(one(args, '--trust', '')) });
  const maxFailures = parseShare(one(args, '--max-failures', '0'));
  const timeoutMs = intOption(args, '--timeout', 1, 2 ** 31 - 1) ?? 60_000;
  const json = args.flags.has('--json');
  const onReport = json ? undefined : (g: GatewayReport) => console.log(line(g));
  let report: RolloutReport;
  if (http) {
    const urls = one(args, '--gateway', '').split(',').map((u) => u.trim()).filter(Boolean);
    if (urls.length === 0) throw new InputError('--gateway needs at least one URL');
    for (const u of urls) if (!/^https?:\/\/[^/]+\/?$/.test(u)) throw new InputError(`--gateway ${JSON.stringify(u)}: use http://HOST:PORT`);
    if (!json) console.log(`flashing ${path} to ${urls.length} gateway(s):`);
    report = await flashHttp(bundle, urls, { maxFailures, timeoutMs, onReport });
  } else {
    const fleet = checkSegment(one(args, '--fleet', ''), '--fleet');
    const url = checkBrokerUrl(one(args, '--mqtt', ''));
    if (!json) console.log(`rolling ${path} out to fleet ${fleet} on ${redactUrl(url)}:`);
    report = await flashFleet(bundle, {
      url, fleet, prefix: checkPrefix(one(args, '--mqtt-prefix', DEFAULT_PREFIX)), maxFailures, timeoutMs, onReport,
      canary: intOption(args, '--canary', 0, 100_000) ?? 0, expect: intOption(args, '--expect', 1, 100_000),
    });
  }
  const good = report.gateways.filter((g) => g.outcome === 'installed' || g.outcome === 'current').length;
  if (json) console.log(JSON.stringify(report));
  else console.log(`${report.name} v${report.version}: ${good} of ${report.targets} gateway(s) run it, ${report.failed} failed (--max-failures ${formatShare(maxFailures)})`);
  if (report.stopped) throw new RolloutError(`rollout stopped: ${report.stopReason}`);
  if (report.failed > 0 && report.failed / report.targets > maxFailures) throw new RolloutError(`${report.failed} of ${report.targets} gateways failed, more than --max-failures ${formatShare(maxFailures)}`);
}
