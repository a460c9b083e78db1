// HTTP(S) listeners: the API and the WebSocket server, on one port or two.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ListenerConfig } from '../config/config.ts';
import type { IntakeGuard } from './intake-guard.ts';
import type { WsTransport } from './ws-transport.ts';

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Listeners {
  wsPort: number;
  httpPort: number;
  close(): Promise<void>;
}

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

function makeServer(cfg: ListenerConfig, onRequest: RequestHandler): Server {
  const server = cfg.tls
    ? createHttpsServer({ key: cfg.tls.key, cert: cfg.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  server.headersTimeout = 15_000; // slow-loris: headers must arrive promptly
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Same statuses as Node's default handler: oversized headers/URL 431, too slow 408, else 400.
    const status = CLIENT_ERROR_STATUS[err.code ?? ''] ?? '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
  return server;
}

function listen(server: Server, cfg: ListenerConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the listeners. When both configs name the same host and port, one server does both jobs. */
export async function startListeners(
  wsCfg: ListenerConfig,
  httpCfg: ListenerConfig,
  api: RequestHandler,
  ws: WsTransport,
  guard?: IntakeGuard,
): Promise<Listeners> {
  const shared = wsCfg.host === httpCfg.host && wsCfg.port === httpCfg.port && wsCfg.port !== 0;
  const servers: Server[] = [];
  const wsServer = makeServer(wsCfg, shared ? api : wsOnlyResponse);
  wsServer.on('upgrade', (req, socket, head) => ws.upgrade(req, socket, head));
  servers.push(wsServer);
  const wsPort = await listen(wsServer, wsCfg);
  guard?.add(wsServer, wsPort, wsCfg.host);
  let httpPort = wsPort;
  if (!shared) {
    const httpServer = makeServer(httpCfg, api);
    servers.push(httpServer);
    try {
      httpPort = await listen(httpServer, httpCfg);
      guard?.add(httpServer, httpPort, httpCfg.host);
    } catch (err) {
      wsServer.close();
      throw err;
    }
  }
  return {
    wsPort,
    httpPort,
    close: () => {
      guard?.close();
      return Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      ).then(() => undefined);
    },
  };
}

function wsOnlyResponse(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(426, { 'Content-Type': 'application/json', Upgrade: 'websocket' });
  res.end(JSON.stringify({ error: 'This port serves WebSocket connections at /app/{key}', code: 426 }));
}
