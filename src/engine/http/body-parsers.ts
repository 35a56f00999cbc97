import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeBody, parseJsonBody } from './body-text.ts';
import { setRequestRawBody } from './request-context.ts';
import { parseXmlDocument } from './xml-document.ts';

export const JSON_TYPES = ['application/json'] as const;
export const XML_TYPES = ['application/xml', 'text/xml'] as const;
export const FORM_TYPES = ['application/x-www-form-urlencoded'] as const;

type BodyKind = 'json' | 'xml' | 'form';

/**
 * Every parser reads the whole body as bytes (bounded by the route's bodyLimit), keeps them for the
 * Idempotency-Key comparison (requestBodySha256), then decodes by charset. Registered per plugin, so a route takes only its types.
 */
export function addBodyParsers(scope: FastifyInstance, kinds: readonly BodyKind[]): void {
  const parse = (request: FastifyRequest, body: Buffer, kind: BodyKind): unknown => {
    setRequestRawBody(request, body);
    const text = decodeBody(body, request.headers['content-type']);
    if (kind === 'json') return parseJsonBody(text);
    if (kind === 'xml') return parseXmlDocument(text);
    return Object.fromEntries(new URLSearchParams(text));
  };
  for (const kind of kinds) {
    const types = kind === 'json' ? JSON_TYPES : kind === 'xml' ? XML_TYPES : FORM_TYPES;
    scope.addContentTypeParser([...types], { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer | string) =>
      parse(request, Buffer.isBuffer(body) ? body : Buffer.from(body), kind),
    );
  }
}
