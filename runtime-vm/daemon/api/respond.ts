// Small response writers shared by the routers, so every JSON answer and stream looks the same.
import type { ServerResponse } from 'node:http';

export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function writeEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/**
 * Starts a long-lived response and flushes its headers at once: clients (the CLI's wait,
 * dockerode's callbacks) only proceed once headers arrive.
 */
export function startStream(res: ServerResponse, contentType: string, status = 200): void {
  res.writeHead(status, { 'Content-Type': contentType });
  res.flushHeaders();
}

/** Writes one NDJSON line to a started stream; no-op once the client has gone. */
export function writeJsonLine(res: ServerResponse, value: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(JSON.stringify(value) + '\n');
}
