import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeBody, parseJsonBody } from './body-text.ts';
import { setRequestRawBody } from './request-context.ts';
import { parseXmlDocument } from './xml-document.ts';

export const JSON_TYPES = ['application/json'] as const;
export const XML_TYPES = ['application/xml', 'text/xml'] as const;
export const FORM_TYPES = ['application/x-www-form-urlencoded'] as const;

type BodyKind = 'json' | 'xml' | 'form';

const CHARSET = /;\s*charset\s*=/i;
const XML_DECLARED_ENCODING = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]{0,39})["']/;

/**
 * For XML without a charset parameter, the encoding its declaration names (RFC 7303: the parameter wins, then the
 * declaration; UTF-8 when neither says), as a Content-Type for decodeBody. The declaration is ASCII in every
 * encoding we decode, so its first bytes read as latin1 are enough.
 */
function xmlDeclaredCharset(body: Buffer): string | undefined {
  const encoding = XML_DECLARED_ENCODING.exec(body.subarray(0, 256).toString('latin1'))?.[1];
  return encoding ? `application/xml; charset=${encoding}` : undefined;
}

/**
 * Every parser reads the whole body as bytes (bounded by the route's bodyLimit), keeps them for the
 * Idempotency-Key comparison (requestBodySha256), then decodes by charset. Registered per plugin, so a route takes only its types.
 */
export function addBodyParsers(scope: FastifyInstance, kinds: readonly BodyKind[]): void {
  const parse = (request: FastifyRequest, body: Buffer, kind: BodyKind): unknown => {
    setRequestRawBody(request, body);
    const contentType = request.headers['content-type'];
    const text = decodeBody(body, kind === 'xml' && !CHARSET.test(contentType ?? '') ? xmlDeclaredCharset(body) : contentType);
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
