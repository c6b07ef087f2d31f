/**
 * The agent's HTTP API (node:http, no framework):
 *   PUT  /models/NAME        a bundle (application/octet-stream), streamed to disk under a cap
 *   POST /models/NAME/infer  raw bytes (all inputs back to back) -> raw outputs, or JSON -> JSON
 *   GET  /models             every model: version, slot, previous version, RAM/ROM, inputs, outputs
 *   GET  /models/NAME        one of them
 *   GET  /health             status, versions, counters
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HEADER_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURES, readHeader, SIGNATURE_BYTES } from '../bundle/container.js';
import { BundleError, type RefusalReason } from '../bundle/errors.js';
import { MODEL_NAME } from '../bundle/manifest.js';
import { EdgerunError, InputError } from '../errors.js';
import type { GatewayAgent, InstallResult } from './agent.js';
import { jsonInputs, outputJson } from './serve.js';

export const HTTP_STATUS: Record<RefusalReason, number> = {
  format: 400, truncated: 400, 'too-large': 413, 'unknown-key': 403, signature: 403, hash: 422, expired: 403,
  name: 409, downgrade: 409, exists: 409, memory: 422, features: 422, module: 422, 'self-test': 422, io: 500,
};

export interface HttpOptions {
  host: string;
  port: number;
  /** Uploads received at once (default 4); more get 503. */
  maxUploads?: number;
  /** Added to /health. */
  id?: string;
  extraHealth?: () => Record<string, unknown>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly reason?: string) {
    super(message);
  }
}

export function startHttp(agent: GatewayAgent, options: HttpOptions): Promise<{ server: Server; url: string }> {
  let uploads = 0;
  const maxUploads = options.maxUploads ?? 4;
  const maxBundle = HEADER_BYTES + MAX_MANIFEST_BYTES + SIGNATURE_BYTES * MAX_SIGNATURES + agent.maxModuleBytes;

  async function upload(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBundle) {
      throw new HttpError(413, `bundle of ${declared} bytes, the limit is ${maxBundle}`, 'too-large');
    }
    if (uploads >= maxUploads) throw new HttpError(503, `${uploads} uploads in progress; retry later`);
    uploads++;
    const path = join(agent.store.incomingDir, `${randomUUID()}.part`);
    let owned = true;
    try {
      try {
        await receive(req, path, declared === undefined ? undefined : Number(declared), agent.maxModuleBytes, maxBundle);
      } catch (e) {
        if (e instanceof BundleError) agent.refused(name, e);
        throw e;
      }
      owned = false; // install() moves or deletes it
      const result = await agent.install(name, { path });
      reply(res, result.result === 'installed' ? 201 : result.result === 'current' ? 200 : HTTP_STATUS[result.reason], result);
    } finally {
      uploads--;
      if (owned) await unlink(path).catch(() => undefined);
    }
  }

  function infer(req: IncomingMessage, res: ServerResponse, name: string, body: Uint8Array): void {
    const server = agent.model(name);
    if (!server) throw new HttpError(404, `no model ${JSON.stringify(name)} is being served`);
    if (isJson(req)) {
      const inputs = jsonInputs(body, server.interpreter.inputs.map((t) => t.dtype));
      const r = agent.infer(name, inputs);
      return reply(res, 200, { model: r.name, version: r.version, latencyMs: r.latencyMs, outputs: r.outputs.map(outputJson) });
    }
    const r = agent.infer(name, [body]);
    const out = Buffer.concat(r.outputs.map((o) => o.data));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': out.length, 'x-edgerun-version': String(r.version), 'x-edgerun-latency-ms': r.latencyMs.toFixed(3) });
    res.end(out);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    let parts: string[];
    try {
      url = new URL(req.url ?? '/', 'http://gateway');
      parts = url.pathname.split('/').filter((p) => p.length > 0).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, `request target ${JSON.stringify((req.url ?? '').slice(0, 64))} is not a valid path`);
    }
    if (parts[0] === 'health' && parts.length === 1) {
      allow(req, 'GET');
      const models = agent.models();
      return reply(res, 200, {
        status: models.every((m) => m.available) ? 'ok' : 'degraded', id: options.id ?? null,
        uptimeS: Math.round((Date.now() - agent.startedAt) / 1000), generation: agent.generation,
        features: agent.features, memoryLimit: agent.options.memoryLimit ?? null, counters: agent.counters,
        models: models.map((m) => ({ name: m.name, version: m.available ? m.version : null, available: m.available })),
        ...options.extraHealth?.(),
      });
    }
    if (parts[0] !== 'models') throw new HttpError(404, `no route ${url.pathname}`);
    if (parts.length === 1) {
      allow(req, 'GET');
      return reply(res, 200, { models: agent.models() });
    }
    const name = parts[1];
    if (!MODEL_NAME.test(name)) throw new HttpError(400, `model name ${JSON.stringify(name)}: lowercase letters, digits, . _ - only`);
    if (parts.length === 2) {
      if (req.method === 'PUT') return upload(req, res, name);
      allow(req, 'GET', 'PUT');
      const status = agent.models().find((m) => m.name === name);
      if (!status) throw new HttpError(404, `no model ${JSON.stringify(name)} is installed`);
      return reply(res, 200, status);
    }
    if (parts.length === 3 && parts[2] === 'infer') {
      allow(req, 'POST');
      const server = agent.model(name);
      if (!server) throw new HttpError(404, `no model ${JSON.stringify(name)} is being served`);
      const cap = isJson(req) ? 65536 + 32 * server.inputBytes : server.inputBytes;
      return infer(req, res, name, await readBody(req, cap));
    }
    throw new HttpError(404, `no route ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : e instanceof BundleError ? HTTP_STATUS[e.reason] : e instanceof EdgerunError ? (e.exitCode === 1 ? 500 : e.exitCode === 4 ? 504 : 400) : 500;
      const reason = e instanceof HttpError ? e.reason : e instanceof BundleError ? e.reason : undefined;
      if (!res.headersSent) {
        if (status === 413 || status === 400) res.setHeader('connection', 'close'); // do not read the rest
        reply(res, status, { error: (e as Error).message.split('\n')[0], ...(reason ? { reason } : {}) });
      } else res.destroy();
    });
  });
  // Requests Node's parser rejects (malformed HTTP, oversized headers, timeouts) get a JSON answer too.
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || e.code === 'ECONNRESET') return void socket.destroy();
    const status = e.code === 'HPE_HEADER_OVERFLOW' ? 431 : e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const text = `${JSON.stringify({ error: `malformed or incomplete HTTP request (${e.code ?? 'parse error'})` })}\n`;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  });
  server.requestTimeout = 300_000;
  server.headersTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new InputError(`--listen ${options.host}:${options.port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({ server, url: `http://${host}:${port}` });
    });
  });
}

/** Streams the body to `path` (created exclusively), checking the bundle header as soon as it has
 *  arrived and the size against every cap as bytes come in; fsyncs it when complete. */
async function receive(req: IncomingMessage, path: string, declared: number | undefined, maxModule: number, maxBundle: number): Promise<void> {
  const file = await disk(`open ${path}`, () => open(path, 'wx', 0o644));
  try {
    let received = 0;
    let expected: number | undefined;
    let head = Buffer.alloc(0);
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > maxBundle) throw new BundleError('too-large', `bundle: more than ${maxBundle} bytes`);
        if (expected === undefined && head.length < HEADER_BYTES) {
          head = Buffer.concat([head, chunk.subarray(0, HEADER_BYTES - head.length)]);
          if (head.length === HEADER_BYTES) {
            expected = readHeader(head, maxModule).totalBytes;
            if (declared !== undefined && declared !== expected) throw new BundleError(declared < expected ? 'truncated' : 'format', `bundle: Content-Length ${declared}, its header says ${expected} bytes`);
          }
        }
        if (expected !== undefined && received > expected) throw new BundleError('format', `bundle: more bytes than its header's ${expected}`);
        for (let done = 0; done < chunk.length;) {
          done += (await disk(`write ${path}`, () => file.write(chunk, done, chunk.length - done))).bytesWritten;
        }
      }
    } catch (e) {
      if (e instanceof EdgerunError) throw e;
      throw new BundleError('truncated', `upload interrupted after ${received} bytes (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!req.complete) throw new BundleError('truncated', `upload interrupted after ${received} bytes`);
    if (expected === undefined || received < expected) {
      throw new BundleError('truncated', `bundle: ${received} bytes, ${expected === undefined ? `shorter than its ${HEADER_BYTES}-byte header` : `its header says ${expected}`}`);
    }
    await disk(`fsync ${path}`, () => file.sync());
  } finally {
    await file.close();
  }
}

/** Runs a file operation of the upload; its failure (a full or failing disk) is the receiver's: reason io. */
async function disk<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (e) {
    throw new BundleError('io', `${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]}`);
  }
}

async function readBody(req: IncomingMessage, cap: number): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > cap) throw new HttpError(413, `body of ${declared} bytes, this model takes at most ${cap}`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > cap) throw new HttpError(413, `body of more than ${cap} bytes, this model takes at most ${cap}`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, n));
}

function isJson(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
}

function allow(req: IncomingMessage, ...methods: string[]): void {
  if (!methods.includes(req.method ?? '')) throw new HttpError(405, `${req.method} is not allowed here (allowed: ${methods.join(', ')})`);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export type { InstallResult };
