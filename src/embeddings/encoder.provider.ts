import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Encoder } from './encoder.port';
import { EncoderPool } from './encoder-pool';
import { prepareDefaultModel } from './model/prepare-default-model';

export const BUILTIN_ENCODER = 'builtin:use-lite-512';

/**
 * The process-wide encoder, started on first use: commands that never embed (import, db:migrate) never pay
 * for loading a model. `ENCODER_MODEL` picks it (README: built-in, hub id, or local folder).
 */
@Injectable()
export class EncoderProvider implements OnApplicationShutdown {
  private readonly logger = new Logger('Encoder');
  private encoder: Promise<Encoder> | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Builds the built-in model folder when it is missing (idempotent, checksum-verified); returns its path. */
  prepare(onProgress?: (msg: string) => void): Promise<string> {
    return prepareDefaultModel(this.config.dataDir, onProgress);
  }

  get(): Promise<Encoder> {
    this.encoder ??= this.start().catch((e: unknown) => {
      this.encoder = undefined;
      throw e;
    });
    return this.encoder;
  }

  private async start(): Promise<Encoder> {
    const model =
      this.config.encoderModel === BUILTIN_ENCODER
        ? await this.prepare((m) => this.logger.log(m))
        : this.config.encoderModel;
    const started = Date.now();
    const pool = await EncoderPool.start({
      model,
      dataDir: this.config.dataDir,
      poolSize: this.config.embedWorkers,
      batchSize: this.config.embedBatch,
      maxQueuedInteractive: this.config.embedQueueMax,
      bulkEvery: this.config.embedBulkEvery,
    });
    this.logger.log(
      `encoder ${pool.id} (${pool.dimension}-d, ${this.config.embedWorkers} worker(s)) ready in ${Date.now() - started} ms`,
    );
    return pool;
  }

  async onApplicationShutdown(): Promise<void> {
    const e = this.encoder;
    this.encoder = undefined;
    if (e) await (await e.catch(() => undefined))?.close();
  }
}
