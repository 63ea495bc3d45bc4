import './threadpool';
import './compile-cache';
import 'reflect-metadata';
import { bootHttpApp } from '@app/core';
import { runMain } from './run-main';
import { AppModule } from './app.module';
import { API_VERSION } from './openapi-document';
import { schema } from './schema';

void runMain(() => bootHttpApp((runtime) => AppModule.register(runtime), schema, { version: API_VERSION }));
