/**
 * A round-robin HTTP load balancer for tests of several Porta instances, acting as a TLS proxy in front of
 * them would (X-Forwarded-For / X-Forwarded-Proto). It keeps connections to the backends alive, as nginx's
 * `keepalive` and HAProxy do, and like HAProxy's `retry-on conn-failure` it passes a request to the next
 * backend when one refuses the connection, or closes a reused idle connection before answering (the
 * keep-alive race Node's docs describe). Every request is recorded with the backend that answered it.
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Connection-level headers belong to one hop: each side of the proxy has its own connection. */
function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
  return rest;
}

export interface Served { method: string; path: string; backend: number; status: number }

export class Balancer {
  /** What each backend answered, in order of arrival. */
  readonly served: Served[] = [];
  /** Requests no backend answered (the client got 502), with why. */
  readonly failed: { method: string; path: string; error: string }[] = [];
  private next = 0;
  private server!: Server;
  private readonly agents: Agent[];
  url = '';

  constructor(private readonly ports: number[]) {
    this.agents = ports.map(() => new Agent({ keepAlive: true }));
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      req.on('error', () => res.destroy());
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers: IncomingHttpHeaders = { ...withoutHopByHop(req.headers), 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-forwarded-proto': 'http' };
        const first = this.next++ % this.ports.length;
        const attempt = (tries: number, lastError: string) => {
          if (tries === this.ports.length) {
            this.failed.push({ method: req.method!, path: req.url!, error: lastError });
            res.writeHead(502).end();
            return;
          }
          const backend = (first + tries) % this.ports.length;
          const out = request({ host: '127.0.0.1', port: this.ports[backend], method: req.method, path: req.url, headers, agent: this.agents[backend] }, (answer) => {
            this.served.push({ method: req.method!, path: req.url!, backend, status: answer.statusCode! });
            res.writeHead(answer.statusCode!, withoutHopByHop(answer.headers));
            // Cut off mid-answer (the backend died): the client sees the connection break, as behind a real proxy.
            answer.on('error', () => res.destroy());
            answer.pipe(res);
          });
          out.on('error', (err: NodeJS.ErrnoException) => {
            // Safe to pass on: the backend never took the request (refused), or closed an idle kept-alive
            // connection just as the request went down it. Anything else the backend may have acted on.
            const retry = err.code === 'ECONNREFUSED' || (out.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE'));
            if (res.headersSent) res.destroy();
            else if (retry) attempt(tries + 1, `${backend}: ${err.code}`);
            else {
              this.failed.push({ method: req.method!, path: req.url!, error: `${backend}: ${err.code ?? err.message}` });
              res.writeHead(502).end();
            }
          });
          out.end(body);
        };
        attempt(0, '');
      });
    });
    await new Promise<void>((ok) => this.server.listen(port, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Sends the next request to `backend` (round-robin goes on from there). */
  aim(backend: number): void {
    this.next = backend;
  }

  /** The backends that answered the requests recorded from index `from` on. */
  backendsSince(from: number): number[] {
    return this.served.slice(from).map((s) => s.backend);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((ok) => this.server.close(ok));
    for (const agent of this.agents) agent.destroy();
  }
}
