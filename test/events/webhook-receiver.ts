/**
 * A real HTTP receiver of lifecycle-event webhooks on 127.0.0.1: it records every request and
 * answers per path: `/ok` 200, `/flaky` 500 to the first three attempts of each event then 200,
 * `/gone` 410 (a receiver that never takes anything).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: ReceivedRequest[];
  /** The requests to `path` that were answered 2xx. */
  accepted(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const attempts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const id = String(req.headers['webhook-id'] ?? '');
      const attempt = (attempts.get(`${path} ${id}`) ?? 0) + 1;
      attempts.set(`${path} ${id}`, attempt);
      const status = path === '/gone' ? 410 : path === '/flaky' && attempt <= 3 ? 500 : 200;
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    accepted: (path) => requests.filter((r) => r.path === path && r.status < 300),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
