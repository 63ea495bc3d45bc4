import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { CoreModule, CoreRuntime } from '@app/core';

@Module({})
export class AppModule {
  static register(runtime: CoreRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(runtime), AuditModule],
    };
  }
}
