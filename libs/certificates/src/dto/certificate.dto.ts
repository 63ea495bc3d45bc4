import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';
import { NO_CONTROL_CHARACTERS, PageQueryDto } from '@app/core';
import { CHECK_STATUSES } from '../certificate-checks';
import { CERTIFICATE_SOURCES } from '../entities/certificate.entity';
import { MAX_PEM_BYTES } from '../certificate-parser';
import { isHostname, isHostOrIp } from '../hostname';

function IsHost(options: ValidationOptions & { namesOnly?: boolean }): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isHost',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (v: unknown) => typeof v === 'string' && (options.namesOnly ? isHostname(v) : isHostOrIp(v)),
      },
    });
}

export class CreateCertificateDto {
  @ApiPropertyOptional({
    description: 'A PEM chain, leaf first (intermediates after it; the root is optional)',
    maxLength: MAX_PEM_BYTES,
    example: '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU…\n-----END CERTIFICATE-----\n',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PEM_BYTES)
  pem?: string;

  @ApiPropertyOptional({
    example: '/etc/ssl/example/fullchain.pem',
    description:
      'A certificate file on the server, inside a directory of CERT_FILE_DIRS (files holding a private key are refused)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @Matches(/^\/[^\0\r\n]*$/, { message: 'path must be an absolute path without control characters' })
  path?: string;

  @ApiPropertyOptional({
    example: 'example.com',
    description: 'A TLS endpoint whose served chain is fetched (allowed by CERT_ENDPOINT_ALLOW)',
  })
  @IsOptional()
  @IsString()
  @IsHost({ message: 'host must be a DNS name or an IP address' })
  host?: string;

  @ApiPropertyOptional({
    type: 'integer',
    example: 443,
    minimum: 1,
    maximum: 65535,
    description: 'With host (default 443)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional({
    example: 'www.example.com',
    description: 'With host: the SNI name to ask for and check (default: host)',
  })
  @IsOptional()
  @IsString()
  @IsHost({ message: 'servername must be a DNS name', namesOnly: true })
  servername?: string;

  @ApiPropertyOptional({
    example: 'api.example.com',
    description: 'With pem or path: a host name or IP the leaf must cover (endpoints check their own)',
  })
  @IsOptional()
  @IsString()
  @IsHost({ message: 'expectedHost must be a DNS name or an IP address' })
  expectedHost?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'public API' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'label must not contain control characters' })
  label?: string;
}

export const CERTIFICATE_SORTS = [
  'notAfter',
  '-notAfter',
  'createdAt',
  '-createdAt',
  'lastCheckedAt',
  '-lastCheckedAt',
  'subject',
  '-subject',
] as const;
export type CertificateSort = (typeof CERTIFICATE_SORTS)[number];

export class ListCertificatesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CHECK_STATUSES })
  @IsOptional()
  @IsIn(CHECK_STATUSES)
  status?: (typeof CHECK_STATUSES)[number];

  @ApiPropertyOptional({ enum: CERTIFICATE_SOURCES })
  @IsOptional()
  @IsIn(CERTIFICATE_SOURCES)
  source?: 'pem' | 'file' | 'endpoint';

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 3650,
    description: 'Only certificates expiring within this many days (expired ones included)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3650)
  expiresWithinDays?: number;

  @ApiPropertyOptional({ enum: CERTIFICATE_SORTS, default: 'notAfter' })
  @IsOptional()
  @IsIn(CERTIFICATE_SORTS)
  sort?: CertificateSort;
}
