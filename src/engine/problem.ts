/**
 * Every failure the engine answers with: an HTTP status, a machine code (listed in docs/engine.md), and a detail
 * a client can act on. Rendered as `application/problem+json` by the HTTP layer.
 */
export class EngineProblem extends Error {
  override readonly name = 'EngineProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: { path: string; message: string }[],
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export const PROBLEM_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const businessNotFound = (business: string): EngineProblem => new EngineProblem(404, 'BUSINESS_NOT_FOUND', `Business "${business}" was not found.`);

export const facilityNotFound = (business: string, facility: string): EngineProblem =>
  new EngineProblem(404, 'FACILITY_NOT_FOUND', `Facility "${facility}" was not found in business "${business}".`);
