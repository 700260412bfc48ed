import { TransformersEncoder, type TransformersEncoderOptions } from './transformers-encoder';

/**
 * Entry point of one encoder worker process (forked by EncoderPool): hosts a TransformersEncoder and answers
 * requests over the IPC channel, one at a time, correlated by `requestId`. Options arrive as JSON in argv[2].
 */

export type WorkerRequest =
  | { kind: 'encode'; requestId: number; texts: string[] }
  | { kind: 'tokenize'; requestId: number; texts: string[] }
  | { kind: 'close'; requestId: number };

export type WorkerReply =
  | { kind: 'ready'; id: string; dimension: number }
  | { kind: 'failed'; message: string }
  | { kind: 'vectors'; requestId: number; vectors: Float32Array[] }
  | { kind: 'tokens'; requestId: number; tokens: number[][] }
  | { kind: 'closed'; requestId: number }
  | { kind: 'error'; requestId: number; message: string };

export type EncoderWorkerOptions = TransformersEncoderOptions;

function post(reply: WorkerReply): void {
  process.send?.(reply);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('encoder-worker must be started by EncoderPool (needs an IPC channel)');
  // The parent going away (crash, kill -9) closes the channel: exit rather than linger as an orphan.
  process.on('disconnect', () => process.exit(0));

  let encoder: TransformersEncoder;
  try {
    encoder = await TransformersEncoder.load(JSON.parse(process.argv[2] ?? '{}') as EncoderWorkerOptions);
  } catch (err) {
    post({ kind: 'failed', message: errorMessage(err) });
    process.disconnect();
    return;
  }
  post({ kind: 'ready', id: encoder.id, dimension: encoder.dimension });

  // One request at a time: the pool sends a worker one batch at a time anyway, and a queue keeps a stray
  // second request from overlapping session runs.
  let queue = Promise.resolve();
  process.on('message', (request: WorkerRequest) => {
    queue = queue.then(() => handle(encoder, request));
  });
}

async function handle(encoder: TransformersEncoder, request: WorkerRequest): Promise<void> {
  try {
    switch (request.kind) {
      case 'encode':
        post({ kind: 'vectors', requestId: request.requestId, vectors: await encoder.encode(request.texts) });
        return;
      case 'tokenize':
        post({ kind: 'tokens', requestId: request.requestId, tokens: await encoder.tokenize(request.texts) });
        return;
      case 'close':
        await encoder.close();
        post({ kind: 'closed', requestId: request.requestId });
        process.disconnect();
        return;
    }
  } catch (err) {
    post({ kind: 'error', requestId: request.requestId, message: errorMessage(err) });
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

void main();
