import 'reflect-metadata';
import { bootHttpApp } from '@app/core';
import { runMain } from './run-main';
import { AppModule } from './app.module';
import { schema } from './schema';

void runMain(() => bootHttpApp((runtime) => AppModule.register(runtime), schema));
