import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The container's HEALTHCHECK (docker/Dockerfile): asks this instance's own listener for `/health/ready` the way the
 * service is configured (TCP or `SOCKET_PATH`, HTTP or the app's TLS listener) and exits 0 only on 200. It sends no
 * credential; the TLS certificate is not verified because the peer is this container's own process over loopback.
 */
const env = process.env;
const tls = !!env.APP_TLS_CERT_FILE;
const bind = env.HOST ?? '127.0.0.1';
const host = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;
const request = tls ? httpsRequest : httpRequest;
const req = request(
  {
    host,
    port: Number(env.PORT ?? 3000),
    socketPath: env.SOCKET_PATH || undefined,
    path: '/health/ready',
    timeout: 2500,
    rejectUnauthorized: false,
  },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
