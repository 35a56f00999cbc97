import { openApiComponentSchemas, componentRef } from '../../openapi/component-schemas.ts';
import { ProblemSchema } from '../../documents/response.ts';
import { HttpChannelSchema } from './http-channel-schema.ts';
import { MULTIPART_ENVELOPE_BYTES, MULTIPART_LIMITS } from './multipart-upload.ts';
import {
  CallbackPayloadSchema,
  DocumentCountsSchema,
  DocumentOutcomeViewSchema,
  FileReceiptSchema,
  FileStatusSchema,
  IntakeErrorViewSchema,
  ResultLinkSchema,
} from './http-intake-schemas.ts';

type JsonObject = Record<string, unknown>;

function componentSchemas(): JsonObject {
  return openApiComponentSchemas({
    output: [
      ['FileReceipt', FileReceiptSchema],
      ['FileStatus', FileStatusSchema],
      ['DocumentOutcome', DocumentOutcomeViewSchema],
      ['DocumentCounts', DocumentCountsSchema],
      ['ResultLink', ResultLinkSchema],
      ['IntakeError', IntakeErrorViewSchema],
      ['Problem', ProblemSchema],
      ['CallbackPayload', CallbackPayloadSchema],
    ],
    input: [['HttpChannel', HttpChannelSchema]],
  });
}

const ref = componentRef;

function problems(meanings: Record<number, string>): JsonObject {
  return Object.fromEntries(
    Object.entries(meanings).map(([status, description]) => [status, { description, content: { 'application/problem+json': { schema: ref('Problem') } } }]),
  );
}

/**
 * The OpenAPI 3.1 document of the gateway's HTTP intake, served at `/v1/inbound/openapi.json`; its schemas are
 * generated from the zod schemas the routes answer with, so it cannot drift from them.
 */
export function buildHttpIntakeOpenApi(limits: { maxFileBytes: number; maxRecordsBytes: number }): JsonObject {
  const customer = { name: 'customer', in: 'path', required: true, description: 'Your customer id (the folder name of your mappings).', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' } };
  const fileId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const fileName = {
    name: 'X-File-Name',
    in: 'header',
    required: false,
    description: 'The file name, percent-encoded UTF-8 (encodeURIComponent). Alternatively Content-Disposition: attachment; filename="..." (or filename*=UTF-8\'\'...). Mappings are chosen by it.',
    schema: { type: 'string' },
  };
  const accepted = {
    description: 'Received: spooled durably, recorded and queued. Poll the status URL (Location) for the outcome.',
    headers: { Location: { description: 'The status URL.', schema: { type: 'string' } } },
    content: { 'application/json': { schema: ref('FileReceipt') } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Intake Gateway: HTTP intake',
      version: '1.0.0',
      description:
        'Send files (any format a mapping of yours reads) or JSON records (the Unified Endpoint: an object, an array of objects, or NDJSON) with your bearer token; ' +
        'every upload answers 202 with a status URL that shows the file\'s state, the outcome of each document and, once final, links to the result files. ' +
        'With a callbackUrl configured, a signed POST (see webhooks) says when a file is final. Errors are application/problem+json with a machine `code`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerToken: [] }],
    tags: [{ name: 'Intake' }, { name: 'Status' }],
    paths: {
      '/v1/inbound/{customer}/files': {
        post: {
          tags: ['Intake'],
          summary: 'Send a file',
          operationId: 'postFile',
          description:
            'Either the raw body is the file (named by X-File-Name or Content-Disposition), or a multipart/form-data form with exactly one file part ' +
            '(what `curl -F "file=@orders.csv"` and an HTML file input send): the part\'s filename names the file (directories dropped), other form fields are ignored. ' +
            `A form holds at most ${MULTIPART_LIMITS.parts} parts; field values beyond ${MULTIPART_LIMITS.fieldSize} bytes are cut off.`,
          parameters: [customer, { ...fileName, description: `${fileName.description} One of the two is required for a raw body; not used with multipart/form-data.` }],
          requestBody: {
            required: true,
            description: `The file: at most ${limits.maxFileBytes} bytes (for multipart, the file part's bytes; the whole form at most ${MULTIPART_ENVELOPE_BYTES} bytes more).`,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: { file: { type: 'string', format: 'binary', description: 'The file, with its filename. Any field name will do; exactly one file part.' } },
                },
              },
              '*/*': { schema: { type: 'string', format: 'binary' }, description: "The file's bytes as they are (any Content-Type but multipart/form-data)." },
            },
          },
          responses: {
            '202': accepted,
            ...problems({
              400:
                'EMPTY_BODY, MISSING_FILE_NAME or INVALID_FILE_NAME; for multipart/form-data also MISSING_FILE_PART, TOO_MANY_FILE_PARTS, TOO_MANY_PARTS, ' +
                'INVALID_MULTIPART (no boundary, or a body that does not use it) or TRUNCATED_MULTIPART (the body ends before its closing boundary).',
              401: 'INVALID_TOKEN: missing or wrong token, or unknown customer (the same answer for all three).',
              413: `PAYLOAD_TOO_LARGE: more than ${limits.maxFileBytes} bytes.`,
              415: 'UNSUPPORTED_CONTENT_ENCODING: send the body uncompressed.',
            }),
          },
        },
      },
      '/v1/inbound/{customer}/records': {
        post: {
          tags: ['Intake'],
          summary: 'Send JSON records (Unified Endpoint)',
          description:
            'Arbitrary JSON from your system, mapped by your JSON mapping (`format: { type: json }`): each object is one record, nested values addressed by path (`shipTo.name`, `lines[0].sku`). ' +
            'Stored as a `.json` file (named by X-File-Name, default `records-<timestamp>.json`) and processed like any file. The JSON is checked before it is accepted.',
          operationId: 'postRecords',
          parameters: [customer, fileName],
          requestBody: {
            required: true,
            description: `At most ${limits.maxRecordsBytes} bytes.`,
            content: {
              'application/json': {
                schema: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' }, minItems: 1 }] },
                example: [{ orderNumber: 'PO-1', shipment: 'S-1', lines: [{ lpn: 'L1', sku: 'SKU1', qty: 2 }] }],
              },
              'application/x-ndjson': { schema: { type: 'string' }, example: '{"orderNumber":"PO-1","sku":"SKU1"}\n{"orderNumber":"PO-2","sku":"SKU2"}\n' },
            },
          },
          responses: {
            '202': accepted,
            ...problems({
              400: 'EMPTY_BODY, INVALID_RECORDS (not JSON, not objects, an empty array; the detail says where) or INVALID_FILE_NAME.',
              401: 'INVALID_TOKEN: missing or wrong token, or unknown customer.',
              413: `PAYLOAD_TOO_LARGE: more than ${limits.maxRecordsBytes} bytes.`,
              415: 'UNSUPPORTED_MEDIA_TYPE: use application/json or application/x-ndjson (UTF-8).',
            }),
          },
        },
      },
      '/v1/inbound/files/{id}': {
        get: {
          tags: ['Status'],
          summary: "A file's state and outcomes",
          operationId: 'getFileStatus',
          parameters: [fileId],
          responses: {
            '200': { description: 'The file, its documents and, once final, its result files.', content: { 'application/json': { schema: ref('FileStatus') } } },
            ...problems({ 401: 'INVALID_TOKEN.', 404: 'FILE_NOT_FOUND: no such file, or not yours.' }),
          },
        },
      },
      '/v1/inbound/files/{id}/results/{name}': {
        get: {
          tags: ['Status'],
          summary: 'A result file (CSV, JSON, 997)',
          operationId: 'getResultFile',
          parameters: [fileId, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'The result file.',
              content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } }, 'application/edi-x12': { schema: { type: 'string' } } },
            },
            ...problems({ 401: 'INVALID_TOKEN.', 404: 'FILE_NOT_FOUND, RESULTS_NOT_READY (the file is not final yet) or RESULT_NOT_FOUND.' }),
          },
        },
      },
    },
    webhooks: {
      fileFinished: {
        post: {
          summary: 'A file is final (sent to your callbackUrl)',
          description:
            'Signed: `X-Intake-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(callback secret, "<t>.<raw body>")>`. Compute the HMAC over the raw body bytes, compare in constant time, and refuse a t more than 5 minutes away from now. ' +
            'Answer 2xx within 10 seconds; anything else (including redirects) is retried with backoff, with the same body, so de-duplicate on fileId.',
          parameters: [
            { name: 'X-Intake-Signature', in: 'header', required: true, schema: { type: 'string' }, example: 't=1700000000,v1=5257a869e7...' },
            { name: 'X-Intake-File-Id', in: 'header', required: true, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('CallbackPayload') } } },
          responses: { '200': { description: 'Received.' } },
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'Your HTTP intake token (channels.http in your customer.yaml holds its hash).' },
      },
    },
  };
}
