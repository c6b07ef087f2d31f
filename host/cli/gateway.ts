/** `edgerun gateway`: the gateway agent (HTTP, optionally MQTT) over a state directory. */
import { hostname } from 'node:os';
import { loadTrust } from '../bundle/keys.js';
import { GatewayAgent, type GatewayEvent } from '../gateway/agent.js';
import { startHttp } from '../gateway/http.js';
import { startMqtt } from '../gateway/mqtt.js';
import { featuresOf } from '../gateway/options.js';
import { checkBrokerUrl, checkPrefix, checkSegment, DEFAULT_PREFIX, redactUrl } from '../gateway/topics.js';
import { InputError, parseSize } from '../index.js';
import { limitsOf, one, parseArgs, runtimeOf, timeoutOf } from './args.js';
import { HELP } from './help.js';

function listenOf(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new InputError(`--listen ${JSON.stringify(text)}: use HOST:PORT (e.g. 127.0.0.1:8480, 0.0.0.0:8480; port 0 picks a free one)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function describe(e: GatewayEvent | Record<string, unknown>): string {
  const ev = e as Record<string, unknown>;
  const v = ev.version !== undefined ? ` v${ev.version}` : '';
  switch (ev.event) {
    case 'recovered': return `${ev.name}${v}: verified and self-tested, serving from slot ${ev.slot}${ev.fallback ? ' (FALLBACK: the active slot failed)' : ''}`;
    case 'unavailable': return `${ev.name}: UNAVAILABLE: ${ev.error}`;
    case 'install': {
      const ms = typeof ev.ms === 'number' ? ev.ms.toFixed(1) : '?';
      const phase = ev.phase === 'written' ? `written to slot ${ev.slot}` : ev.phase === 'self-tested' ? `self-test passed (${ms} ms)`
        : ev.phase === 'committed' ? `committed: serving slot ${ev.slot} (install took ${ms} ms)` : String(ev.phase);
      return `${ev.name}${v}: ${phase}`;
    }
    case 'refused': return `${ev.name}${v}: refused (${ev.reason}): ${ev.error}`;
    case 'listening': return `serving ${ev.url} (state ${ev.state}; ${ev.models} model(s))`;
    case 'mqtt-connected': return `connected to ${ev.url} as ${ev.id}`;
    default: return `${ev.event}: ${JSON.stringify({ ...ev, event: undefined })}`;
  }
}

export async function cmdGateway(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['--state', '--trust', '--listen', '--mqtt', '--id', '--fleet', '--sensor', '--mqtt-prefix',
    '--memory-limit', '--features', '--runtime', '--max-bundle', '--timeout', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.gateway);
  if (args.positional.length > 0) throw new InputError('gateway takes no arguments (see edgerun gateway --help)');
  const stateDir = one(args, '--state', '');
  if (!stateDir) throw new InputError('gateway needs --state DIR');
  const trustList = one(args, '--trust', '');
  if (!trustList) throw new InputError('gateway needs --trust PUBKEY[,PUBKEY]');
  const json = args.flags.has('--json');
  const log = (e: GatewayEvent | Record<string, unknown>) => {
    const line = json ? JSON.stringify({ ...e, at: new Date().toISOString() }) : `gateway: ${describe(e)}`;
    process.stdout.write(`${line}\n`);
  };
  const mqttUrl = args.flags.has('--mqtt') ? checkBrokerUrl(one(args, '--mqtt', '')) : undefined;
  const id = checkSegment(one(args, '--id', hostname().split('.')[0] || 'gateway'), '--id');
  const fleets = (args.flags.get('--fleet') ?? []).flatMap((f) => f.split(',')).filter(Boolean).map((f) => checkSegment(f, '--fleet'));
  const sensors = new Map<string, string>();
  for (const s of args.flags.get('--sensor') ?? []) {
    const at = s.lastIndexOf('=');
    if (at <= 0 || /[+#]/.test(s.slice(0, at))) throw new InputError(`--sensor ${JSON.stringify(s)}: use TOPIC=MODEL (a topic without wildcards)`);
    sensors.set(s.slice(0, at), s.slice(at + 1));
  }
  if (!mqttUrl && (fleets.length > 0 || sensors.size > 0)) throw new InputError('--fleet and --sensor need --mqtt URL');
  const prefix = checkPrefix(one(args, '--mqtt-prefix', DEFAULT_PREFIX));
  const listen = listenOf(one(args, '--listen', '127.0.0.1:8480'));
  const maxBundle = args.flags.has('--max-bundle') ? parseSize(one(args, '--max-bundle', ''), '--max-bundle') : undefined;
  const agent = GatewayAgent.open({
    stateDir, trust: loadTrust(trustList), memoryLimit: limitsOf(args).memoryLimit, features: featuresOf(args),
    runtime: runtimeOf(args), maxModuleBytes: maxBundle, timeoutMs: timeoutOf(args),
    onEvent: (e) => { log(e); if (e.event === 'install' && e.phase === 'committed') mqtt?.publishStatus(); },
  });
  let mqtt: Awaited<ReturnType<typeof startMqtt>> | undefined;
  const { server, url } = await startHttp(agent, {
    ...listen, id, extraHealth: () => ({ mqtt: mqttUrl ? { url: redactUrl(mqttUrl), connected: mqtt?.client.connected ?? false, fleets } : null }),
  }).catch((e: unknown) => { agent.close(); throw e; });
  if (mqttUrl) mqtt = await startMqtt(agent, { url: mqttUrl, id, fleets, prefix, sensors, onEvent: log });
  log({ event: 'listening', url, state: stateDir, models: agent.models().length, id, features: agent.features, memoryLimit: agent.options.memoryLimit ?? null });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log({ event: 'stopping', signal });
      server.close();
      server.closeAllConnections();
      void (mqtt?.stop() ?? Promise.resolve()).then(() => { agent.close(); resolve(); });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
