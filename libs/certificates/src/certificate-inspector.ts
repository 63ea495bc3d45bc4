import { Injectable } from '@nestjs/common';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { AppConfig, Clock } from '@app/core';
import { CertificateFiles, FileRefused } from './certificate-files';
import { CertificateParseError, parseDerChain, parsePemChain } from './certificate-parser';
import { CheckResult, CheckStatus, runChecks, worstStatus } from './certificate-checks';
import { devCertificatePaths } from './dev-certificates';
import { classifyAddress, EndpointPolicy, EndpointRefused } from './endpoint-policy';
import type { Certificate } from './entities/certificate.entity';
import { ProbeFailed, TlsProber } from './tls-prober';

/** What one look at a certificate source found. */
export interface Observation {
  chain: X509Certificate[] | null;
  results: CheckResult[];
  status: CheckStatus;
  protocol: string | null;
  cipher: string | null;
}

type Source = Pick<Certificate, 'sourceType' | 'pem' | 'path' | 'host' | 'port' | 'servername' | 'expectedHost'>;

/** The public roots, the configured private CA and, in development, the dev CA: where a chain may end unstated. */
@Injectable()
export class TrustAnchors {
  private cached?: X509Certificate[];

  constructor(private readonly config: AppConfig) {}

  get all(): X509Certificate[] {
    if (this.cached) return this.cached;
    const pems = [...rootCertificates];
    const extra = this.config.env.CERT_EXTRA_CA_FILE;
    if (extra) pems.push(readFileSync(extra, 'utf8'));
    const devCa = devCertificatePaths(this.config.dataDir).caCert;
    if (!this.config.isProduction && existsSync(devCa)) pems.push(readFileSync(devCa, 'utf8'));
    this.cached = pems.flatMap((pem) => {
      try {
        return parsePemChain(pem).chain;
      } catch {
        return [];
      }
    });
    return this.cached;
  }
}

/**
 * Fetches a source's chain (inline PEM, file, or live endpoint) and runs every check on it. Never throws for what the
 * source did: unreadable files, bad PEM, refused or timed-out connections and TLS errors become a CRITICAL
 * `retrieval` result with the reason.
 */
@Injectable()
export class CertificateInspector {
  constructor(
    private readonly files: CertificateFiles,
    private readonly policy: EndpointPolicy,
    private readonly prober: TlsProber,
    private readonly anchors: TrustAnchors,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async inspect(source: Source): Promise<Observation> {
    let chain: X509Certificate[];
    let protocol: string | null = null;
    let cipher: string | null = null;
    try {
      if (source.sourceType === 'pem') chain = parsePemChain(source.pem ?? '').chain;
      else if (source.sourceType === 'file') chain = parsePemChain(await this.files.read(source.path ?? '')).chain;
      else {
        const address = await this.policy.authorize(source.host ?? '');
        const probe = await this.prober.probe(
          address,
          source.port ?? 443,
          source.servername ?? sniName(source.host ?? ''),
          this.config.env.CERT_ENDPOINT_TIMEOUT_MS,
          classifyAddress(address) !== 'public',
        );
        chain = parseDerChain(probe.ders);
        ({ protocol, cipher } = probe);
      }
    } catch (err) {
      if (!(
        err instanceof CertificateParseError ||
        err instanceof FileRefused ||
        err instanceof EndpointRefused ||
        err instanceof ProbeFailed
      ))
        throw err;
      const results: CheckResult[] = [{ name: 'retrieval', status: 'CRITICAL', reason: err.message }];
      return { chain: null, results, status: 'CRITICAL', protocol: null, cipher: null };
    }
    const env = this.config.env;
    const results = runChecks(chain, {
      now: this.clock.now(),
      warnDays: env.CERT_WARN_DAYS,
      criticalDays: env.CERT_CRITICAL_DAYS,
      expectedHost: source.expectedHost,
      anchors: this.anchors.all,
      production: this.config.isProduction,
      source: source.sourceType,
    });
    return { chain, results, status: worstStatus(results), protocol, cipher };
  }
}

/** SNI carries names only, never addresses (RFC 6066 §3). */
function sniName(host: string): string | undefined {
  return /^[0-9.]+$|:/.test(host) ? undefined : host;
}
