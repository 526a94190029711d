// Serving a Hono app (web-standard Request → Response) on a Node HTTP server. Node-only.
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";

export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

export interface Listening {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, ends idle keep-alive ones, and resolves once all are closed. */
  close(): Promise<void>;
}

/** Listens on host:port (port 0: an ephemeral one) and resolves once bound. */
export async function listen(app: FetchApp, host: string, port: number): Promise<Listening> {
  const server = createServer(getRequestListener((request) => app.fetch(request)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    server,
    url: `http://${urlHost}:${bound}`,
    port: bound,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections(); // keep-alive sockets would otherwise hold close() open
  });
}
