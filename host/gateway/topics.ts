/**
 * MQTT topics shared by the gateway agent and `edgerun flash` (PREFIX defaults to "edgerun"):
 *
 *   PREFIX/gateways/ID/status         retained JSON {id, fleets, online, models: {NAME: version}, generation, at};
 *                                     the broker publishes {online: false} (last will) when the agent vanishes
 *   PREFIX/fleets/GROUP/bundles/NAME  retained: a bundle for every gateway of GROUP (empty = withdrawn)
 *   PREFIX/fleets/GROUP/ping          JSON {rollout}: every gateway of GROUP republishes its status with ping = rollout
 *   PREFIX/gateways/ID/bundles/NAME   a bundle for one gateway (canary installs), not retained
 *   PREFIX/gateways/ID/results/NAME   retained JSON: the last install result, with the rollout id
 *   PREFIX/gateways/ID/sensors/NAME   sensor data for model NAME: raw input bytes or JSON
 *   PREFIX/gateways/ID/scores/NAME    the model's outputs for each sensor message (JSON)
 *
 * A rollout id travels as the MQTT 5 user property "rollout" on a bundle message (retained with it)
 * and comes back in the results, so `flash` counts only answers to its own rollout.
 */
import { InputError } from '../errors.js';

export const DEFAULT_PREFIX = 'edgerun';
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkSegment(value: string, what: string): string {
  if (!SEGMENT.test(value)) throw new InputError(`${what} ${JSON.stringify(value)}: letters, digits, . _ - only (at most 64; no MQTT wildcards or slashes)`);
  return value;
}

export function checkPrefix(prefix: string): string {
  if (!prefix.split('/').every((s) => SEGMENT.test(s))) throw new InputError(`--mqtt-prefix ${JSON.stringify(prefix)}: segments of letters, digits, . _ - separated by /`);
  return prefix;
}

export const topics = (prefix: string) => ({
  status: (id: string) => `${prefix}/gateways/${id}/status`,
  fleetBundle: (group: string, name: string) => `${prefix}/fleets/${group}/bundles/${name}`,
  ping: (group: string) => `${prefix}/fleets/${group}/ping`,
  gatewayBundle: (id: string, name: string) => `${prefix}/gateways/${id}/bundles/${name}`,
  result: (id: string, name: string) => `${prefix}/gateways/${id}/results/${name}`,
  sensors: (id: string, name: string) => `${prefix}/gateways/${id}/sensors/${name}`,
  scores: (id: string, name: string) => `${prefix}/gateways/${id}/scores/${name}`,
});

/** Splits a topic under PREFIX into its segments after the prefix, or null. */
export function topicParts(prefix: string, topic: string): string[] | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  return topic.slice(prefix.length + 1).split('/');
}

/** An MQTT broker URL: mqtt://, mqtts://, ws://, wss:// (mqtt.js transports). */
export function checkBrokerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`--mqtt ${JSON.stringify(url)}: not a URL (e.g. mqtt://127.0.0.1:1883)`);
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'tls:'].includes(parsed.protocol)) throw new InputError(`--mqtt ${redactUrl(url)}: use mqtt://, mqtts://, ws:// or wss://`);
  return url;
}

/** The URL without its password, for logs and reports. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
