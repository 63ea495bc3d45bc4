import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DataSource } from 'typeorm';
import { Public } from '@app/core';

class ProbeItemDto {
  @IsString()
  @MaxLength(20)
  label!: string;

  @IsInt()
  @Min(0)
  @Max(10)
  count!: number;
}

class ProbeEchoDto {
  @IsString()
  @MaxLength(50)
  name!: string;

  @ValidateNested()
  @Type(() => ProbeItemDto)
  item!: ProbeItemDto;
}

/** Test-only routes that exercise the shared pipeline (validation, DB errors, catch-all). Never part of the app. */
@Controller('test-probe')
class ProbeController {
  constructor(private readonly dataSource: DataSource) {}

  @Post('echo')
  @Public()
  echo(@Body() body: ProbeEchoDto) {
    return body;
  }

  @Get('db')
  @Public()
  async db() {
    const rows: { one: number }[] = await this.dataSource.query('SELECT 1 AS one');
    return { one: rows[0].one };
  }

  @Get('boom')
  @Public()
  boom(): never {
    throw new Error('internal detail: password=hunter2 at /srv/secret/path.ts SELECT * FROM users');
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
