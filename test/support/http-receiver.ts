import { createServer, IncomingMessage, Server } from 'node:http';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver standing in for a customer's webhook endpoint (the only thing outside the machine). */
export class HttpReceiver {
  readonly received: Received[] = [];
  /** Status codes to answer next, in order (then 200). */
  failWith: number[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = this.failWith.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hooks/security`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
