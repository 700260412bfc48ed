import * as net from 'node:net';

/**
 * A TCP relay in front of PostgreSQL that a test can make unresponsive (connections accepted, nothing
 * answered: a frozen or partitioned server), take down (connections refused) and bring back.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket | undefined }>();
  private hanging = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Holds every connection, old and new: bytes are neither forwarded nor answered until `resume`. */
  hang(): void {
    this.hanging = true;
    for (const p of this.pairs) {
      p.client.pause();
      p.upstream?.pause();
    }
  }

  resume(): void {
    this.hanging = false;
    for (const p of this.pairs) {
      if (!p.upstream) this.connectUpstream(p);
      p.client.resume();
      p.upstream?.resume();
    }
  }

  /** Refuses new connections and cuts the open ones, as a stopped server does. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Serves again on the same port. */
  async up(): Promise<void> {
    this.hanging = false;
    await this.start(this.port);
  }

  private accept(client: net.Socket): void {
    const pair: { client: net.Socket; upstream: net.Socket | undefined } = { client, upstream: undefined };
    this.pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    if (this.hanging) client.pause();
    else this.connectUpstream(pair);
  }

  private connectUpstream(pair: { client: net.Socket; upstream: net.Socket | undefined }): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => pair.client.destroy());
    upstream.on('close', () => pair.client.destroy());
    // Plain data handlers rather than pipe(): pipe() would resume a paused source when the sink drains.
    pair.client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => pair.client.write(d));
  }
}
