import type { Server } from 'node:http';

/**
 * `Expect: 100-continue` answered by the app, not by Node. Left to itself, Node sends 100 Continue as soon as the
 * headers are in, before any route or hook has run: the client then sends its whole body (hundreds of MB) only to
 * be told 401 or 413. Here the request goes through the app like any other, and 100 Continue is sent only when a
 * handler starts reading the body. Whatever the app refuses before that (no route, a wrong token, a declared
 * Content-Length over the limit, a media type it does not take) is answered with its final status instead, by the
 * same hooks and handlers as a request without Expect; Node then closes the connection, since the client may still
 * send the body it held back.
 *
 * Any other expectation is left to Node, which answers 417 Expectation Failed.
 */
export function continueWhenBodyIsRead(server: Server): void {
  server.on('checkContinue', (request, response) => {
    // Every consumer of the body (an async iterator, pipe, a 'data' listener) ends up in _read: the first one is
    // the moment the app has decided to take the body.
    const read = request._read;
    request._read = function (size: number) {
      request._read = read;
      // Node reads the unread rest after a refusal (to dump it): a 100 after the final status is a protocol error.
      if (!response.headersSent) response.writeContinue();
      return read.call(this, size);
    };
    server.emit('request', request, response);
  });
}
