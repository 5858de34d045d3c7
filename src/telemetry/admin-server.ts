import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics';
import type { Logger } from './logger';
import { parseEndpoint } from '../config/types';

export interface Health {
  /** Ready to take input: store open, sink connected, not draining. */
  ready(): { ready: boolean; reason?: string };
}

/**
 * The operator's window into the service: Prometheus metrics, liveness and
 * readiness. Kept apart from the OTLP port so a load balancer or scraper never
 * competes with ingest, and so auth on ingest does not hide health.
 */
export class AdminServer {
  private server: Server | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly metrics: Metrics,
    private readonly health: Health,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { host, port } = parseEndpoint(this.endpoint);
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        this.metrics.registry
          .metrics()
          .then((text) => res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text))
          .catch((err: Error) => res.writeHead(500).end(err.message));
      } else if (path === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
      } else if (path === '/readyz') {
        const h = this.health.ready();
        res
          .writeHead(h.ready ? 200 : 503, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ status: h.ready ? 'ready' : 'not_ready', reason: h.reason }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.info({ endpoint: `${host}:${this.port()}` }, 'admin server listening (/metrics, /healthz, /readyz)');
  }

  port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections?.();
  }
}
