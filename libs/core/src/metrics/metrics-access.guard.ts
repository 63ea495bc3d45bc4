import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { BlockList } from 'node:net';
import { blockListOf, ipMatches } from '../http/ip';
import { timingSafeEqual, createHash } from 'node:crypto';
import { AppConfig } from '../config/load-config';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

import { SecretStore } from '../secrets/secret-store';

/** `/metrics` is answered to trusted addresses (`METRICS_ALLOW`) or with `Authorization: Bearer <METRICS_TOKEN>`. */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly allow: BlockList;
  private readonly tokenDigest?: Buffer;

  constructor(config: AppConfig, secrets: SecretStore) {
    this.allow = blockListOf(config.metricsAllow);
    const token = secrets.get('METRICS_TOKEN');
    this.tokenDigest = token ? createHash('sha256').update(token).digest() : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (ipMatches(this.allow, request.ip)) return true;
    const header = request.headers.authorization;
    if (this.tokenDigest && header?.startsWith('Bearer ')) {
      const presented = createHash('sha256').update(header.slice(7)).digest();
      if (timingSafeEqual(presented, this.tokenDigest)) return true;
    }
    throw new CoreException(
      CoreErrorCode.FORBIDDEN,
      'Metrics are only available to trusted addresses or with the metrics token.',
    );
  }
}
