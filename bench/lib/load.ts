/** autocannon, run from the bench process (never inside a server): one bounded run, its figures. */
import autocannon from 'autocannon';
import { cpuSeconds } from './procs.js';

export interface Figures {
  /** Successful (2xx) responses per second. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Responses that were not 2xx, and connection errors/timeouts: a valid run has none. */
  failed: number;
  /** CPU used during the run, in % of one core: the server's processes, and this load generator. */
  serverCpu: number;
  loadCpu: number;
}

export interface Workload {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Builds each request's body (refresh tokens rotate: every request needs a fresh one). */
  setupRequest?: autocannon.Request['setupRequest'];
  onResponse?: autocannon.Request['onResponse'];
}

export async function hammer(url: string, w: Workload, connections: number, seconds: number, serverPid?: number): Promise<Figures> {
  const request: autocannon.Request = { method: w.method ?? 'GET', path: w.path, headers: w.headers, body: w.body };
  if (w.setupRequest) request.setupRequest = w.setupRequest;
  if (w.onResponse) request.onResponse = w.onResponse;
  const server0 = serverPid ? cpuSeconds(serverPid) : NaN;
  const load0 = process.cpuUsage();
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1, timeout: 30, requests: [request] });
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    failed: result.non2xx + result.errors + result.timeouts,
    serverCpu: serverPid ? (100 * (cpuSeconds(serverPid) - server0)) / result.duration : NaN,
    loadCpu: (() => { const u = process.cpuUsage(load0); return (u.user + u.system) / 1e4 / result.duration; })(),
  };
}
