// Container health probe (Dockerfile HEALTHCHECK, docker-compose.yml). Exit 0 = healthy.
//   node deploy/healthcheck.js              GET /metrics on KEY_ROTATOR_METRICS_ADDRESS (the worker's
//                                           Prometheus endpoint); healthy when that is not set, since
//                                           then there is nothing to probe (CLI, codec server).
//   node deploy/healthcheck.js --tcp PORT   something accepts TCP connections on 127.0.0.1:PORT.
// Plain JavaScript with Node built-ins only: it runs in the image without tsx.
import http from 'node:http';
import net from 'node:net';

const TIMEOUT_MS = 4000;
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/** "0.0.0.0:9464" → { host: "127.0.0.1", port: 9464 }: a wildcard bind is probed on loopback. */
function parseBindAddress(address) {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`KEY_ROTATOR_METRICS_ADDRESS=${address}: expected host:port, e.g. 0.0.0.0:9464`);
  }
  const host = address.slice(0, colon);
  return { host: WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host.replace(/^\[(.*)\]$/, '$1'), port };
}

function probeHttp(host, port) {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path: '/metrics', timeout: TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? 'ok' : `HTTP ${response.statusCode}`);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (err) => resolve(err.message));
  });
}

function probeTcp(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: TIMEOUT_MS });
    socket.once('connect', () => {
      socket.end();
      resolve('ok');
    });
    socket.once('timeout', () => socket.destroy(new Error('timed out')));
    socket.once('error', (err) => resolve(err.message));
  });
}

async function main() {
  const [flag, value] = process.argv.slice(2);
  if (flag === '--tcp') {
    const port = Number(value);
    if (!Number.isInteger(port) || port <= 0) throw new Error('usage: healthcheck.js --tcp PORT');
    return probeTcp(port);
  }
  const address = process.env.KEY_ROTATOR_METRICS_ADDRESS;
  if (!address) return 'ok';
  const { host, port } = parseBindAddress(address);
  return probeHttp(host, port);
}

main().then(
  (verdict) => {
    if (verdict !== 'ok') console.error(`unhealthy: ${verdict}`);
    process.exit(verdict === 'ok' ? 0 : 1);
  },
  (err) => {
    console.error(`unhealthy: ${err.message}`);
    process.exit(1);
  },
);
