import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { allowedMethods } from '../http/allowed-methods';
import { CoreErrorCode } from './core-error-codes';
import { PROBLEM_CONTENT_TYPE, Problem, problemBody, toProblem } from './problem';

/** The one place where errors become HTTP: RFC 9457 problem+json, internals hidden behind a request id. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    sendProblem(request, reply, exception, this.logger);
  }
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  exception: unknown,
  logger: Pick<Logger, 'error'>,
): void {
  const problem = methodNotAllowed(request, toProblem(exception, String(request.id)));
  if (problem.unexpected) {
    logger.error({ err: exception, requestId: request.id }, 'Unhandled error');
  }
  if (reply.sent) return;
  reply.status(problem.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem.body));
}

/** No route for this method and path, but routes for the path with other methods: 405 with `Allow`, not 404. */
function methodNotAllowed(request: FastifyRequest, problem: Problem): Problem {
  if (problem.body.code !== CoreErrorCode.ROUTE_NOT_FOUND) return problem;
  const allow = allowedMethods(request.server, request.url);
  if (!allow.length) return problem;
  const body = problemBody(
    CoreErrorCode.METHOD_NOT_ALLOWED,
    problem.body.requestId,
    `${request.method} is not served here; this path answers ${allow.join(', ')}.`,
  );
  return { ...problem, status: body.status, body, headers: { ...problem.headers, allow: allow.join(', ') } };
}
