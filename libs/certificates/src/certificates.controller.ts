import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ApiProblems, CurrentPrincipal, Principal, RequireScopes, UuidPipe } from '@app/core';
import { CertificatesErrorCode as E } from './certificates-error-codes';
import { CertificatesService } from './certificates.service';
import { CreateCertificateDto, ListCertificatesQueryDto } from './dto/certificate.dto';
import { CertificateDetailView, CertificatePage } from './dto/certificate.response';

const uuid = new UuidPipe();

@ApiTags('certificates')
@Controller('certificates')
export class CertificatesController {
  constructor(private readonly certificates: CertificatesService) {}

  @Post()
  @RequireScopes('certificates:write')
  @ApiProblems(
    E.CERTIFICATE_SOURCE_INVALID,
    E.CERTIFICATE_PEM_INVALID,
    E.CERTIFICATE_PATH_NOT_ALLOWED,
    E.CERTIFICATE_ENDPOINT_NOT_ALLOWED,
    E.CERTIFICATE_EXISTS,
    E.CERTIFICATE_LIMIT_REACHED,
  )
  @ApiOperation({
    summary:
      'Add a certificate from a PEM chain, a file under CERT_FILE_DIRS, or a live TLS endpoint; it is checked at once',
  })
  @ApiCreatedResponse({
    type: CertificateDetailView,
    description:
      'The new entry with the outcome of its first check (a source that cannot be read is stored as CRITICAL with a `retrieval` result)',
  })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateCertificateDto) {
    return this.certificates.create(p, dto);
  }

  @Get()
  @RequireScopes('certificates:read')
  @ApiOperation({
    summary: 'My certificates (all with admin:all) with status and days left; filter by status, source, expiry; sort',
  })
  @ApiOkResponse({ type: CertificatePage, description: 'A page of certificates' })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListCertificatesQueryDto) {
    return this.certificates.list(p, q);
  }

  @Get(':id')
  @RequireScopes('certificates:read')
  @ApiProblems(E.CERTIFICATE_NOT_FOUND)
  @ApiOperation({ summary: 'One certificate: parsed chain details and the latest checks' })
  @ApiOkResponse({
    type: CertificateDetailView,
    description: 'The certificate with its chain and its 20 latest checks',
  })
  @ApiIdParam('id', 'The certificate entry’s `id`', '3f6c2a9e-8b1d-4e57-9a0c-5d2e7b4f1a86')
  get(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string) {
    return this.certificates.get(p, id);
  }

  @Post(':id/check')
  @RequireScopes('certificates:write')
  @ApiProblems(E.CERTIFICATE_NOT_FOUND)
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Check a certificate now (fetching it again from its file or endpoint); alerts as the daily check would. Within 10 s of the last check it answers that check instead',
  })
  @ApiOkResponse({
    type: CertificateDetailView,
    description: 'The certificate after the check, with its latest checks',
  })
  @ApiIdParam('id', 'The certificate entry’s `id`', '3f6c2a9e-8b1d-4e57-9a0c-5d2e7b4f1a86')
  check(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string) {
    return this.certificates.checkNow(p, id);
  }

  @Delete(':id')
  @RequireScopes('certificates:write')
  @ApiProblems(E.CERTIFICATE_NOT_FOUND)
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop monitoring a certificate (its check history goes with it)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiIdParam('id', 'The certificate entry’s `id`', '3f6c2a9e-8b1d-4e57-9a0c-5d2e7b4f1a86')
  async remove(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string): Promise<void> {
    await this.certificates.remove(p, id);
  }
}
