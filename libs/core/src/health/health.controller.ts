import { SkipThrottle } from '@nestjs/throttler';
import { ALL_IP_THROTTLERS } from '../rate-limit/ip-throttler.guard';
import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { Public } from '../auth/access.decorators';
import { Lifecycle } from '../system/lifecycle';

@ApiTags('system')
@SkipThrottle(ALL_IP_THROTTLERS)
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  private migrationsApplied = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly lifecycle: Lifecycle,
  ) {}

  @Get('live')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: not draining, database reachable, migrations applied (503 otherwise)' })
  ready() {
    return this.health.check([
      () => {
        const check = this.indicators.check('lifecycle');
        return this.lifecycle.draining ? check.down({ draining: true }) : check.up();
      },
      () => this.db.pingCheck('database', { timeout: 1500 }),
      async () => {
        const check = this.indicators.check('migrations');
        try {
          if (!this.migrationsApplied) this.migrationsApplied = !(await this.dataSource.showMigrations());
        } catch {
          return check.down({ reachable: false });
        }
        return this.migrationsApplied ? check.up() : check.down({ pending: true });
      },
    ]);
  }
}
