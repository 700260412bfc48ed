import type { ArgumentsHost } from '@nestjs/common';
import pino from 'pino';
import { Writable } from 'node:stream';
import { ProblemFilter } from './problem.filter';

/** A real pino logger bound to a request id, as pino-http makes one, writing its lines to `lines`. */
function requestLogger(id: string, lines: Array<Record<string, unknown>>): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'info' }, sink).child({ req: { id } });
}

/** The response as the filter uses it, recording what it was told. */
function response() {
  const sent: { status?: number; type?: string; body?: string; headers: Record<string, string> } = {
    headers: {},
  };
  const res = {
    headersSent: false,
    setHeader: (k: string, v: string) => (sent.headers[k] = v),
    status(code: number) {
      sent.status = code;
      return res;
    },
    type(t: string) {
      sent.type = t;
      return res;
    },
    send(body: string) {
      sent.body = body;
      return res;
    },
  };
  return { res, sent };
}

function host(req: object, res: object): ArgumentsHost {
  return {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res, getNext: () => undefined }),
  } as unknown as ArgumentsHost;
}

describe('ProblemFilter', () => {
  it("logs a server error through the request's own logger, so the line names the request", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const req = { method: 'GET', url: '/v1/x', log: requestLogger('req-42', lines) };
    const { res, sent } = response();
    new ProblemFilter().catch(new Error('boom'), host(req, res));
    await new Promise((r) => setImmediate(r));
    expect(sent.status).toBe(500);
    expect(sent.type).toBe('application/problem+json');
    expect(JSON.parse(sent.body!)).toMatchObject({ status: 500 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, req: { id: 'req-42' }, context: 'ProblemFilter' });
    expect(String(lines[0].msg)).toContain('Error: boom');
  });

  it('logs an overload as one warning line of the request, without a stack', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const req = { method: 'POST', url: '/v1/recommendations', log: requestLogger('req-43', lines) };
    const { res, sent } = response();
    const overloaded = Object.assign(new Error('queue full'), { retryAfterSeconds: 2 });
    new ProblemFilter().catch(overloaded, host(req, res));
    await new Promise((r) => setImmediate(r));
    expect(sent.headers['Retry-After']).toBe('2');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, req: { id: 'req-43' } });
    expect(String(lines[0].msg)).toMatch(/^overloaded: /);
  });
});
