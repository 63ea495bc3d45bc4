import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '@app/core';
import { ApiKeyHygieneReportView } from './dto/key-usage.response';
import { KeyReportsService } from './key-reports.service';

@ApiTags('api-keys')
@Controller('admin/api-keys')
export class AdminApiKeysController {
  constructor(private readonly reports: KeyReportsService) {}

  @Get('report')
  @RequireScopes('admin:all')
  @ApiOperation({
    summary: 'Key hygiene: no expiry, unused 30+ days, admin:all, expiring within 7 days, in grace period',
  })
  @ApiOkResponse({ type: ApiKeyHygieneReportView, description: 'Active and rotating keys worth a look, by concern' })
  report() {
    return this.reports.hygiene();
  }
}
