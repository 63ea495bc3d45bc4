import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { PageOf } from '@app/core';
import { CHECK_NAMES, CHECK_STATUSES, CheckName, CheckResult, CheckStatus } from '../certificate-checks';
import type { CertificateDetails } from '../certificate-parser';
import { CHECK_TRIGGERS, CheckTrigger } from '../entities/certificate-check.entity';

const MANAGED_BY = ['user', 'service'] as const;

const FINGERPRINT = 'A3:5F:0C:9B:71:2E:D4:88:1F:6A:C2:07:B9:3D:E5:40:8C:71:2B:F6:19:AE:54:D0:3C:87:E2:6B:0F:91:A4:5D';
const FINGERPRINT_DESCRIPTION =
  "SHA-256 fingerprint of the leaf, colon-separated upper-case hex (Node's `fingerprint256`)";

/** A source given as PEM text (the text itself is in the detail view's `pem`). */
export class CertificatePemSourceView {
  @ApiProperty({ enum: ['pem'], example: 'pem' })
  type!: 'pem';
}

/** A certificate file on the server, re-read at every check. */
export class CertificateFileSourceView {
  @ApiProperty({ enum: ['file'], example: 'file' })
  type!: 'file';

  @ApiProperty({
    example: '/etc/ssl/example/fullchain.pem',
    description: 'Resolved absolute path, inside a directory of CERT_FILE_DIRS',
  })
  path!: string;
}

/** A live TLS endpoint whose served chain is fetched at every check. */
export class CertificateEndpointSourceView {
  @ApiProperty({ enum: ['endpoint'], example: 'endpoint' })
  type!: 'endpoint';

  @ApiProperty({ example: 'api.example.com', description: 'Host name (lower case, no trailing dot) or IP address' })
  host!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 65535, example: 443 })
  port!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'SNI name asked for; null when the host itself is used',
  })
  servername!: string | null;
}

export type CertificateSourceView =
  CertificatePemSourceView | CertificateFileSourceView | CertificateEndpointSourceView;

/** One certificate of a chain as parsed (all of it public). */
export class CertificateChainEntryView implements CertificateDetails {
  @ApiProperty({ example: 'CN=api.example.com', description: 'Subject distinguished name on one line' })
  subject!: string;

  @ApiProperty({ example: "C=US, O=Let's Encrypt, CN=R11", description: 'Issuer distinguished name on one line' })
  issuer!: string;

  @ApiProperty({
    type: String,
    isArray: true,
    example: ['DNS:api.example.com', 'DNS:www.example.com'],
    description: 'Subject alternative names as `DNS:…` / `IP Address:…`',
  })
  subjectAltNames!: string[];

  @ApiProperty({ example: '04A1F3C29B7E5D8612AB34CD56EF7890AB12', description: 'Serial number, upper-case hex' })
  serialNumber!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-09-07T00:00:00.000Z' })
  notBefore!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-05T23:59:59.000Z' })
  notAfter!: string;

  @ApiProperty({ example: FINGERPRINT, description: 'SHA-256 fingerprint, colon-separated upper-case hex' })
  fingerprintSha256!: string;

  @ApiProperty({
    example: 'ec',
    description:
      'Public key type as Node names it (`rsa`, `rsa-pss`, `ec`, `ed25519`, …; `unknown` if Node cannot tell)',
  })
  keyType!: string;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'Modulus length in bits (RSA, DSA keys); null for other key types',
  })
  keyBits!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'prime256v1',
    description: 'Named curve of an EC key; null for other key types',
  })
  keyCurve!: string | null;

  @ApiProperty({
    example: 'sha256WithRSAEncryption',
    description: 'Signature algorithm name (the dotted OID when unknown)',
  })
  signatureAlgorithm!: string;

  @ApiProperty({ example: false, description: 'Basic constraints say it is a CA' })
  isCa!: boolean;

  @ApiProperty({ example: false, description: 'Issued by itself and verified with its own key' })
  selfSigned!: boolean;
}

/** The outcome of one check of a certificate. */
export class CertificateCheckResultView implements CheckResult {
  @ApiProperty({
    enum: CHECK_NAMES,
    example: 'expiry',
    description: '`retrieval` appears alone when the chain could not be read or fetched',
  })
  name!: CheckName;

  @ApiProperty({ enum: CHECK_STATUSES, example: 'WARN' })
  status!: CheckStatus;

  @ApiProperty({ example: 'the leaf expires in 12 days (2026-12-05T23:59:59.000Z); warning at 30' })
  reason!: string;
}

/** One recorded check (newest first in the detail view). */
export class CertificateCheckView {
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T09:15:00.000Z' })
  checkedAt!: string;

  @ApiProperty({
    enum: CHECK_TRIGGERS,
    example: 'schedule',
    description: 'What ran it: adding the certificate, a check-now request, or the daily job',
  })
  trigger!: CheckTrigger;

  @ApiProperty({ enum: CHECK_STATUSES, example: 'WARN', description: 'The worst status of its results' })
  status!: CheckStatus;

  @ApiProperty({
    type: String,
    nullable: true,
    example: FINGERPRINT,
    description: 'Leaf fingerprint seen; null when the chain could not be retrieved',
  })
  fingerprintSha256!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'TLSv1.3',
    description: 'Negotiated TLS version (endpoint sources; null otherwise)',
  })
  protocol!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'TLS_AES_256_GCM_SHA384',
    description: 'Negotiated cipher suite (endpoint sources; null otherwise)',
  })
  cipher!: string | null;

  @ApiProperty({ type: () => CertificateCheckResultView, isArray: true, description: 'Every check run, in order' })
  results!: CertificateCheckResultView[];
}

/** A monitored certificate as the list shows it. */
@ApiExtraModels(CertificatePemSourceView, CertificateFileSourceView, CertificateEndpointSourceView)
export class CertificateView {
  @ApiProperty({ format: 'uuid', example: '3f6c2a9e-8b1d-4e57-9a0c-5d2e7b4f1a86' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'public API' })
  label!: string | null;

  @ApiProperty({
    oneOf: [
      { $ref: getSchemaPath(CertificatePemSourceView) },
      { $ref: getSchemaPath(CertificateFileSourceView) },
      { $ref: getSchemaPath(CertificateEndpointSourceView) },
    ],
    example: { type: 'endpoint', host: 'api.example.com', port: 443, servername: null },
    description:
      'Where the certificate comes from, by `type`: `pem` (nothing more), `file` (`path`), `endpoint` (`host`, `port`, `servername`)',
  })
  source!: CertificateSourceView;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'api.example.com',
    description:
      'Name the leaf must cover: an endpoint’s servername or host; for pem and file sources what was given, or null',
  })
  expectedHost!: string | null;

  @ApiProperty({
    enum: CHECK_STATUSES,
    nullable: true,
    example: 'WARN',
    description: 'Worst status of the latest check (every entry is checked when added, so null is not expected)',
  })
  status!: CheckStatus | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'expiry: the leaf expires in 12 days (2026-12-05T23:59:59.000Z); warning at 30',
    description: 'The check that set the status and its reason, or `all checks passed`',
  })
  statusReason!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'CN=api.example.com',
    description: 'Leaf subject; null until a chain has been read',
  })
  subject!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-12-05T23:59:59.000Z',
    description: 'Leaf expiry; null until a chain has been read',
  })
  notAfter!: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 12,
    description: 'Whole days until notAfter (negative once expired); null without notAfter',
  })
  daysLeft!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: FINGERPRINT,
    description: `${FINGERPRINT_DESCRIPTION}; null until a chain has been read`,
  })
  fingerprintSha256!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-23T09:15:00.000Z' })
  lastCheckedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-09-07T14:02:11.000Z' })
  createdAt!: string;

  @ApiProperty({
    enum: MANAGED_BY,
    example: 'user',
    description: '`service`: the service’s own entry (the development TLS leaf), which has no owner',
  })
  managedBy!: (typeof MANAGED_BY)[number];
}

export const CertificatePage = PageOf(
  CertificateView,
  'Certificates in the requested order (soonest expiry first by default)',
);

/** One certificate with its parsed chain and its latest checks. */
export class CertificateDetailView extends CertificateView {
  @ApiProperty({
    type: () => CertificateChainEntryView,
    isArray: true,
    description: 'Every certificate of the chain last read, leaf first; empty until a chain has been read',
  })
  chain!: CertificateChainEntryView[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'The stored PEM chain (certificates only) for pem sources; null for file and endpoint sources',
  })
  pem!: string | null;

  @ApiProperty({
    type: () => CertificateCheckView,
    isArray: true,
    description: 'The latest checks, newest first (at most 20)',
  })
  checks!: CertificateCheckView[];
}
