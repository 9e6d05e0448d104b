import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpDrainOptions {
  /**
   * Upper bound of how long the listener stays open after `drain()` to accept the connections already queued
   * in the kernel's accept backlog (libuv accepts one per event-loop turn); default 1000 ms.
   */
  acceptWindowMs?: number;
  /**
   * Once the listener is closed, a connection that has sent nothing at all this long (a TCP health check, a
   * browser's pre-connect) is closed; default 2000 ms. A connection that has begun a request is never cut.
   */
  silentConnectionGraceMs?: number;
}

export interface HttpDrain {
  /** True once `drain()` was called. */
  readonly draining: boolean;
  /**
   * Lets every request that reached the server finish and resolves once the listener and every connection are
   * closed. Calling it again returns the same promise.
   */
  drain(): Promise<void>;
}

/**
 * Resolves in the event loop's next check phase (setImmediate). Awaited from a check phase, it spans exactly one
 * poll phase: the one in which libuv accepts a queued connection (one per turn) and reads every readable socket.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Tracks the connections and in-flight responses of `server` (call before it listens) so that `drain()` can
 * close it without resetting any request that arrived before the drain began:
 *
 * 1. From now on every response is sent with `Connection: close`, and so is every response in flight whose
 *    headers are not sent yet; a keep-alive response already under way closes its connection on 'finish'.
 * 2. The listener stays open until an event-loop turn accepts no new connection (bounded by `acceptWindowMs`):
 *    closing it earlier resets the connections that completed their handshake but still wait in the accept
 *    backlog, and an idle keep-alive connection whose next request is already in its socket buffer would be
 *    taken for idle before that request is read.
 * 3. `server.close()` stops listening and closes the connections that are idle after a completed response
 *    (Node's `closeIdleConnections()`; a connection that has begun a request, or never had one, is not idle).
 * 4. After `silentConnectionGraceMs`, the connections that have not sent a byte since they were accepted or
 *    answered are closed; the others are waited for (SHUTDOWN_TIMEOUT_MS bounds a client that never finishes).
 * 5. Resolves when the last connection has closed.
 */
export function trackHttpServer(server: Server, options: HttpDrainOptions = {}): HttpDrain {
  const acceptWindowMs = options.acceptWindowMs ?? 1000;
  const silentConnectionGraceMs = options.silentConnectionGraceMs ?? 2000;
  /**
   * Every open connection: its responses not finished yet, and how many bytes it had sent when it was accepted
   * or its last response finished (`socket.bytesRead` counts what the HTTP parser consumed too).
   */
  const connections = new Map<Socket, { responses: Set<ServerResponse>; bytesWhenIdle: number }>();
  let accepted = 0;
  let draining = false;
  let drained: Promise<void> | undefined;

  server.on('connection', (socket: Socket) => {
    accepted += 1;
    connections.set(socket, { responses: new Set(), bytesWhenIdle: socket.bytesRead });
    socket.once('close', () => connections.delete(socket));
  });

  const closeWhenDone = (socket: Socket, response: ServerResponse): void => {
    const connection = connections.get(socket);
    if (!connection?.responses.delete(response)) return;
    connection.bytesWhenIdle = socket.bytesRead;
    // A response sent with `Connection: close` closes its socket itself; a keep-alive one that was under way
    // when the drain began leaves an idle socket behind: close it now that its request is answered.
    if (draining && connection.responses.size === 0 && !socket.destroyed) socket.destroySoon();
  };

  // Before the application's listener, so the header is in place before any handler writes.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    connections.get(socket)?.responses.add(response);
    if (draining) response.setHeader('Connection', 'close');
    response.once('finish', () => closeWhenDone(socket, response));
    response.once('close', () => closeWhenDone(socket, response));
  });

  const acceptQueuedConnections = async (): Promise<void> => {
    const deadline = Date.now() + acceptWindowMs;
    await nextTurn(); // into a check phase (drain() is called from a signal handler, in a poll phase)
    for (;;) {
      const before = accepted;
      await nextTurn();
      if (accepted === before || Date.now() >= deadline) return;
    }
  };

  const closeServer = async (): Promise<void> => {
    await acceptQueuedConnections();
    await new Promise<void>((resolve) => {
      const closeSilent = setTimeout(() => {
        for (const [socket, { responses, bytesWhenIdle }] of connections)
          if (responses.size === 0 && socket.bytesRead === bytesWhenIdle && !socket.writableEnded)
            socket.destroy();
      }, silentConnectionGraceMs);
      closeSilent.unref();
      // The callback runs once every connection is closed (with an error if the server was not listening).
      server.close(() => {
        clearTimeout(closeSilent);
        resolve();
      });
    });
  };

  return {
    get draining() {
      return draining;
    },
    drain() {
      if (drained) return drained;
      draining = true;
      for (const { responses } of connections.values())
        for (const response of responses)
          if (!response.headersSent) response.setHeader('Connection', 'close');
      drained = closeServer();
      return drained;
    },
  };
}
