import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../auth/access.decorators';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';
import { ApiProblems } from '../http/api-problems';
import { JobScheduler } from './job-scheduler';
import { JobPage, JobRunResultView } from './job.response';

@ApiTags('system')
@Controller('admin/jobs')
export class JobsController {
  constructor(private readonly scheduler: JobScheduler) {}

  @Get()
  @RequireScopes('admin:all')
  @ApiOperation({
    summary: 'Scheduled jobs: schedule, next run on this instance, and the last runs across all instances (admin)',
  })
  @ApiOkResponse({ type: JobPage, description: 'Every registered job, by name (one page)' })
  list() {
    return this.scheduler.describe().then((items) => ({ items, nextCursor: null }));
  }

  @Post(':name/run')
  @RequireScopes('admin:all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a job now under its lock (admin); answers the run, or that another instance holds it' })
  @ApiProblems(CoreErrorCode.NOT_FOUND)
  @ApiOkResponse({
    type: JobRunResultView,
    description: 'The run (`status: ran`, with its outcome) or why it did not run (`status: skipped`)',
  })
  @ApiParam({ name: 'name', description: 'A job name from GET /v1/admin/jobs', example: 'certificate-check' })
  run(@Param('name') name: string) {
    if (!this.scheduler.names.includes(name))
      throw new CoreException(CoreErrorCode.NOT_FOUND, 'No such job; GET /v1/admin/jobs lists them.');
    return this.scheduler.runNow(name);
  }
}
