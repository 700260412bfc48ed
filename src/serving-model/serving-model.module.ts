import { Module } from '@nestjs/common';
import { ServingModel } from './serving-model';

@Module({ providers: [ServingModel], exports: [ServingModel] })
export class ServingModelModule {}
