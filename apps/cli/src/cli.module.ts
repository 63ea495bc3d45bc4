import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { CoreModule, CoreRuntime } from '@app/core';
import { AuditVerifyCommand } from './commands/audit-verify.command';

@Module({})
export class CliModule {
  static register(runtime: CoreRuntime): DynamicModule {
    return {
      module: CliModule,
      imports: [CoreModule.forRoot(runtime), AuditModule],
      providers: [AuditVerifyCommand],
    };
  }
}
