import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EngineProblem } from '../problem.ts';
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
 * For XML without a charset parameter, the encoding its byte order mark says, else the one its declaration names
 * (RFC 7303: the parameter wins, then the BOM, then the declaration; UTF-8 when none says), as a Content-Type for
 * decodeBody. A UTF-16 document starts with its BOM (XML 1.0, section 4.3.3), and its declaration cannot be read
 * as single bytes; in every other encoding we decode the declaration is ASCII, so its first bytes read as latin1
 * are enough.
 */
function xmlDeclaredCharset(body: Buffer): string | undefined {
  if (body[0] === 0xff && body[1] === 0xfe) return 'application/xml; charset=utf-16le';
  if (body[0] === 0xfe && body[1] === 0xff) return 'application/xml; charset=utf-16be';
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'application/xml; charset=utf-8';
  const encoding = XML_DECLARED_ENCODING.exec(body.subarray(0, 256).toString('latin1'))?.[1];
  return encoding ? `application/xml; charset=${encoding}` : undefined;
}

/**
 * Bodies are read as sent: a compressed one (Content-Encoding: gzip, ...) would otherwise be decoded as text and
 * refused as malformed (400), where the problem is a coding this API does not take. RFC 9110, section 15.5.16:
 * 415 for a content coding the server does not support.
 */
function refuseContentCoding(header: string | undefined): void {
  const coding = header?.trim().toLowerCase();
  if (!coding || coding === 'identity') return;
  throw new EngineProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${header!.trim().slice(0, 40)}" is not supported; send the body uncompressed.`);
}

/**
 * Every parser reads the whole body as bytes (bounded by the route's bodyLimit), keeps them for the
 * Idempotency-Key comparison (requestBodySha256), then decodes by charset. Registered per plugin, so a route takes only its types.
 */
export function addBodyParsers(scope: FastifyInstance, kinds: readonly BodyKind[]): void {
  const parse = (request: FastifyRequest, body: Buffer, kind: BodyKind): unknown => {
    refuseContentCoding(request.headers['content-encoding']);
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
