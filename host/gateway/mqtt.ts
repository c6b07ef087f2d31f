/**
 * The agent's MQTT side (mqtt.js, MQTT 5): announces itself (retained status, last will), installs
 * bundles from its fleets' retained topics and its own topic and publishes each result, and turns
 * sensor messages into scores. Packets larger than the agent's bundle cap are refused by the broker
 * on the agent's behalf (MQTT 5 maximum packet size), so nothing oversized is ever buffered.
 */
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { HEADER_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURES, SIGNATURE_BYTES } from '../bundle/container.js';
import { MODEL_NAME } from '../bundle/manifest.js';
import { manifestTime } from '../bundle/manifest.js';
import type { GatewayAgent, InstallResult } from './agent.js';
import { jsonInputs, outputJson } from './serve.js';
import { redactUrl, topicParts, topics } from './topics.js';

export interface MqttOptions {
  url: string;
  id: string;
  fleets: string[];
  prefix: string;
  /** Extra sensor topics: topic -> model name. */
  sensors: Map<string, string>;
  onEvent?: (event: Record<string, unknown>) => void;
}

export interface InstallReport extends Record<string, unknown> {
  id: string;
  via: string;
  rollout: string | null;
  at: string;
}

const MAX_PACKET = 268_435_455; // MQTT's own limit

export async function startMqtt(agent: GatewayAgent, options: MqttOptions): Promise<{ client: MqttClient; publishStatus: () => void; stop: () => Promise<void> }> {
  const { connect } = await import('mqtt');
  const t = topics(options.prefix);
  const { id, fleets } = options;
  const emit = (e: Record<string, unknown>) => options.onEvent?.(e);
  const offline = JSON.stringify({ id, fleets, online: false });
  const maxPacket = Math.min(MAX_PACKET, HEADER_BYTES + MAX_MANIFEST_BYTES + SIGNATURE_BYTES * MAX_SIGNATURES + agent.maxModuleBytes + 4096);
  const client = connect(options.url, {
    protocolVersion: 5,
    clientId: `edgerun-gateway-${id}`,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    will: { topic: t.status(id), payload: Buffer.from(offline), qos: 1, retain: true },
    properties: { maximumPacketSize: maxPacket },
  });

  const status = (ping?: string) => JSON.stringify({
    id, fleets, online: true, generation: agent.generation, at: manifestTime(new Date()),
    models: Object.fromEntries(agent.models().map((m) => [m.name, m.available ? m.version : null])),
    ...(ping ? { ping } : {}),
  });
  const publishStatus = (ping?: string) => { if (client.connected) client.publish(t.status(id), status(ping), { qos: 1, retain: true }); };

  // Sessions the broker ends within seconds, again and again: most often a second gateway with the
  // same --id (the broker hands the client id to the newer connection, back and forth).
  let connectedAt = 0;
  let shortSessions = 0;
  client.on('connect', () => {
    connectedAt = Date.now();
    emit({ event: 'mqtt-connected', url: redactUrl(options.url), id });
    const subs = [
      ...fleets.map((g) => `${options.prefix}/fleets/${g}/bundles/+`),
      ...fleets.map((g) => t.ping(g)),
      `${options.prefix}/gateways/${id}/bundles/+`,
      `${options.prefix}/gateways/${id}/sensors/+`,
      ...options.sensors.keys(),
    ];
    client.subscribe(subs, { qos: 1 }, (err) => {
      if (err) emit({ event: 'mqtt-error', error: err.message });
      publishStatus();
    });
  });
  client.on('error', (err) => emit({ event: 'mqtt-error', error: err.message }));
  client.on('close', () => {
    if (connectedAt === 0) return;
    shortSessions = Date.now() - connectedAt < 5000 ? shortSessions + 1 : 0;
    connectedAt = 0;
    if (shortSessions === 3) {
      emit({ event: 'mqtt-error', error: `the broker closed 3 sessions in a row within 5 s of connecting: is another gateway running with --id ${id} (client id edgerun-gateway-${id})?` });
    }
  });
  client.on('offline', () => emit({ event: 'mqtt-offline', url: redactUrl(options.url) }));

  // One message at a time per model keeps installs ordered; agent.install serializes anyway.
  client.on('message', (topic, payload, packet) => {
    void handle(topic, payload, packet.properties ?? {}).catch((e: unknown) => emit({ event: 'mqtt-error', topic, error: (e as Error).message }));
  });

  async function handle(topic: string, payload: Buffer, props: { userProperties?: Record<string, string | string[]>; responseTopic?: string; correlationData?: Buffer; contentType?: string }): Promise<void> {
    const mapped = options.sensors.get(topic);
    if (mapped) return sense(mapped, payload, props);
    if (fleets.some((g) => topic === t.ping(g))) {
      // A rollout asks who is really here: a retained status may outlive its gateway.
      let rollout: unknown;
      try { rollout = (JSON.parse(payload.toString('utf8')) as { rollout?: unknown }).rollout; } catch { return; }
      if (typeof rollout === 'string' && /^[\w-]{1,64}$/.test(rollout)) publishStatus(rollout);
      return;
    }
    const parts = topicParts(options.prefix, topic);
    if (!parts) return;
    const name = parts[parts.length - 1];
    if (!MODEL_NAME.test(name)) return;
    const isBundle = (parts[0] === 'fleets' && parts[2] === 'bundles' && fleets.includes(parts[1])) || (parts[0] === 'gateways' && parts[1] === id && parts[2] === 'bundles');
    if (isBundle) {
      if (payload.length === 0) return; // a withdrawn (cleared) retained bundle
      const rollout = userProperty(props, 'rollout');
      const result = await agent.install(name, { bytes: new Uint8Array(payload.buffer, payload.byteOffset, payload.length) });
      const report: InstallResult & InstallReport = { ...result, id, via: topic, rollout, at: manifestTime(new Date()) };
      client.publish(t.result(id, name), JSON.stringify(report), { qos: 1, retain: true });
      if (result.result === 'installed') publishStatus();
      return;
    }
    if (parts[0] === 'gateways' && parts[1] === id && parts[2] === 'sensors') return sense(name, payload, props);
  }

  function sense(name: string, payload: Buffer, props: { responseTopic?: string; correlationData?: Buffer; contentType?: string }): void {
    const server = agent.model(name);
    const reply: IClientPublishOptions = { qos: 0, properties: props.correlationData ? { correlationData: props.correlationData } : undefined };
    // A response topic the broker would reject (wildcards, empty, NUL) would cost the connection.
    const valid = props.responseTopic !== undefined && /^[^+#\u0000]+$/.test(props.responseTopic) && Buffer.byteLength(props.responseTopic) <= 65_535;
    if (props.responseTopic !== undefined && !valid) emit({ event: 'mqtt-error', error: `response topic ${JSON.stringify(props.responseTopic.slice(0, 64))} is not a topic name; answered on ${t.scores(id, name)}` });
    const to = valid ? props.responseTopic! : t.scores(id, name);
    try {
      if (!server) throw new Error(`no model ${JSON.stringify(name)} is being served`);
      const json = props.contentType === 'application/json' || (props.contentType === undefined && payload.length !== server.inputBytes);
      const inputs = json ? jsonInputs(new Uint8Array(payload), server.interpreter.inputs.map((x) => x.dtype)) : [new Uint8Array(payload)];
      const r = agent.infer(name, inputs);
      client.publish(to, JSON.stringify({ id, model: name, version: r.version, latencyMs: r.latencyMs, outputs: r.outputs.map(outputJson) }), reply);
    } catch (e) {
      client.publish(to, JSON.stringify({ id, model: name, error: (e as Error).message }), reply);
    }
  }

  /** Says goodbye (retained offline status) if the broker answers within a second, then disconnects. */
  async function stop(): Promise<void> {
    const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.catch(() => undefined), new Promise<void>((r) => setTimeout(r, ms).unref())]);
    if (client.connected) await within(client.publishAsync(t.status(id), offline, { qos: 1, retain: true }), 1000);
    await within(client.endAsync(!client.connected), 1000);
    client.end(true);
    client.stream?.destroy(); // a hung broker's socket must not keep the process alive
  }

  return { client, publishStatus, stop };
}

function userProperty(props: { userProperties?: Record<string, string | string[]> }, key: string): string | null {
  const v = props.userProperties?.[key];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}
