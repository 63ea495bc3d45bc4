import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import { ERROR_CODES, type ErrorCode } from './error-codes';
import type { components, paths } from './schema';

export { ERROR_CODES };
export type { ErrorCode, components, paths };

/** A schema of the API by name: `Schema<'ApiKeyView'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** An RFC 9457 problem as the service answers it, its `code` typed. */
export type Problem = Omit<components['schemas']['Problem'], 'code'> & { code: ErrorCode };

/** A problem+json answer, thrown by {@link unwrap}; `code` is one of {@link ERROR_CODES}. */
export class ProblemError extends Error {
  readonly status: number;
  readonly code: ErrorCode;

  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = 'ProblemError';
    this.status = problem.status;
    this.code = problem.code;
  }
}

/** `err` is a problem from the service, optionally with this code. */
export function isProblem(err: unknown, code?: ErrorCode): err is ProblemError {
  return err instanceof ProblemError && (code === undefined || err.code === code);
}

/** Sends a session token (from `POST /v1/auth/login`) as `Authorization: Bearer …`. */
export function sessionAuth(token: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  };
}

/** Sends an API key (`sk_live_…`) as `X-API-Key` (never in the URL: the service refuses that). */
export function apiKeyAuth(key: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('x-api-key', key);
      return request;
    },
  };
}

export interface SecurityClientOptions extends ClientOptions {
  /** Where the service answers, e.g. `https://api.example.com` (the document's paths start with `/v1`). */
  baseUrl: string;
  /** A session token; or */
  session?: string;
  /** an API key. One credential per client: the service refuses both at once (AMBIGUOUS_CREDENTIALS). */
  apiKey?: string;
}

export type SecurityClient = Client<paths>;

/**
 * A typed client: every path, method, parameter, body and answer of the document is checked by the compiler.
 * Calls answer `{ data, error, response }` (openapi-fetch); wrap one in {@link unwrap} to get the data or a
 * {@link ProblemError}.
 */
export function createSecurityClient(options: SecurityClientOptions): SecurityClient {
  const { session, apiKey, ...rest } = options;
  if (session && apiKey) throw new Error('one credential per client: pass a session or an API key, not both');
  const client = createClient<paths>(rest);
  if (session) client.use(sessionAuth(session));
  if (apiKey) client.use(apiKeyAuth(apiKey));
  return client;
}

/** The data of a successful answer, or throws the answer's problem as a {@link ProblemError}. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const problem = error as Partial<Problem> | undefined;
  if (problem && typeof problem.code === 'string' && problem.code in ERROR_CODES)
    throw new ProblemError(problem as Problem);
  throw new ProblemError({
    type: 'about:blank',
    title: response.statusText,
    status: response.status,
    detail: typeof error === 'string' ? error : `HTTP ${response.status}`,
    code: 'INTERNAL_ERROR',
    requestId: response.headers.get('x-request-id') ?? '',
  });
}
