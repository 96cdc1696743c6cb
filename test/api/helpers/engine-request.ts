// One plain Engine API request over a daemon's unix socket, for tests that need the status code
// and the raw body a client library would hide or reshape.
import { request } from 'node:http';

export interface EngineReply {
  status: number;
  body: string;
}

export function engineRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: object | Buffer,
  contentType = Buffer.isBuffer(body) ? 'application/x-tar' : 'application/json',
): Promise<EngineReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method, path, headers: { 'Content-Type': contentType } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else req.end(body ? JSON.stringify(body) : undefined);
  });
}
