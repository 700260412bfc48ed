import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { toProblem } from './problem';

interface ClientError extends Error {
  code?: string;
}

/** What Node's HTTP parser refuses before any framework sees the request, by llhttp error code. */
function describe(err: ClientError): { status: number; detail: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        detail: 'The request line and headers are larger than the server accepts (16 KB).',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'The request was not received in time.' };
    default:
      return { status: 400, detail: 'The request is not valid HTTP.' };
  }
}

/**
 * Node answers malformed requests (431 headers too large, 400 bad HTTP) with a bare status line; this answers
 * them as problem+json like every other error. Written straight to the socket: there is no request object yet.
 */
export function answerClientErrorsAsProblems(server: Server): void {
  server.on(
    'clientError',
    (err: ClientError, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
      // A reset or a response already under way leaves nothing sensible to write.
      if (err.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
        socket.destroy();
        return;
      }
      const { status, detail } = describe(err);
      const body = JSON.stringify(toProblem(status, detail));
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          'Content-Type: application/problem+json\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Connection: close\r\n\r\n' +
          body,
      );
    },
  );
}
