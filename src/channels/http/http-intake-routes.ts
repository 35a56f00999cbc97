import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EngineProblem } from '../../engine/problem.ts';
import type { Inbox, Receipt } from '../../inbox/inbox.ts';
import { SpoolLimitError } from '../../inbox/spool.ts';
import { getFile, type FileRow } from '../../ledger/files-repo.ts';
import { resultDir } from '../../pipeline/finalize-stage.ts';
import type { Db } from '../../store/db.ts';
import { attachmentDisposition, fileStatus, INBOUND_PREFIX, isFileIdShaped, isFinished, listResultNames, resultMediaType, statusPath } from './file-status.ts';
import { buildHttpIntakeOpenApi } from './http-intake-openapi.ts';
import type { FileReceipt } from './http-intake-schemas.ts';
import { bearerTokenOf, HttpTokenVerifier, type HttpCustomers } from './http-token-verifier.ts';
import { BodyTooLargeError, InvalidRecordsError, jsonRecordsCheck, ndjsonRecordsCheck, openRequestBody, type BodyCheck } from './request-body.ts';
import { isMultipartFormData, MULTIPART_ENVELOPE_BYTES, MultipartError, openMultipartFile } from './multipart-upload.ts';
import { uploadFileName } from './upload-file-name.ts';

/** Seconds a client is asked to wait before sending again a file our side could not take. */
const NOT_RECEIVED_RETRY_AFTER_SECONDS = 60;

/** What the gateway app passes to the HTTP intake (defaults in HTTP_INTAKE_DEFAULTS). */
export interface HttpIntakeOptions {
  /**
   * The customers' resolved `channels.http` (see `loadHttpCustomers`/`cachedHttpCustomers`). Read per request:
   * a customer missing here gets 401, exactly like a wrong token.
   */
  httpCustomers(): HttpCustomers | Promise<HttpCustomers>;
  /** Where finalize writes result files (`<resultsDir>/<fileId>/`): served by the results route. */
  resultsDir: string;
  /** Largest body of `POST /v1/inbound/{customer}/files`, in bytes; enforced while streaming. */
  maxFileBytes?: number;
  /** Largest body of `POST /v1/inbound/{customer}/records`, in bytes (a JSON body is held whole to check it). */
  maxRecordsBytes?: number;
  /** How long a verified token is remembered, in milliseconds (scrypt once per token, not per request). */
  tokenCacheTtlMs?: number;
}

export const HTTP_INTAKE_DEFAULTS = {
  maxFileBytes: 100 * 1024 * 1024,
  maxRecordsBytes: 10 * 1024 * 1024,
  tokenCacheTtlMs: 5 * 60_000,
} as const;

export interface HttpIntakeRouteOptions extends HttpIntakeOptions {
  db: Db;
  inbox: Pick<Inbox, 'receive'>;
}

const JSON_TYPES = new Set(['application/json']);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines']);

const unauthorized = (reply: FastifyReply): EngineProblem => {
  reply.header('WWW-Authenticate', 'Bearer realm="intake"');
  // One answer for an unknown customer, a missing token and a wrong one: nothing to enumerate.
  return new EngineProblem(401, 'INVALID_TOKEN', 'Missing or invalid bearer token for this customer.');
};

const tooLarge = (reply: FastifyReply, limit: number): EngineProblem => {
  // The rest of the body is not read: close the connection rather than drain it.
  reply.header('Connection', 'close');
  return new EngineProblem(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${limit} bytes.`);
};

function mediaTypeOf(request: FastifyRequest): { essence: string | undefined; charset: string | undefined } {
  const header = request.headers['content-type'];
  if (!header) return { essence: undefined, charset: undefined };
  const [essence, ...params] = header.split(';');
  const charset = params.map((p) => p.trim().split('=')).find(([key]) => key?.toLowerCase() === 'charset')?.[1];
  return { essence: essence!.trim().toLowerCase(), charset: charset?.replace(/"/g, '').toLowerCase() };
}

const multipartProblem = (reply: FastifyReply, error: MultipartError): EngineProblem => {
  // The refusal may come before the end of the body (a second file part, too many parts): do not drain the rest.
  reply.header('Connection', 'close');
  return new EngineProblem(400, error.code, error.message);
};

function recordsStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * HTTP intake under /v1/inbound: files (raw body) and JSON records (the Unified Endpoint) go to the inbox the way
 * every channel's files do; the status URL answers with the file's state, its documents' outcomes and its result
 * files. Registered by the gateway app; its own content-type parsers hand every body over as a stream, so
 * nothing is buffered on the way to the spool.
 */
export async function httpIntakeRoutes(app: FastifyInstance, options: HttpIntakeRouteOptions): Promise<void> {
  const maxFileBytes = options.maxFileBytes ?? HTTP_INTAKE_DEFAULTS.maxFileBytes;
  const maxRecordsBytes = options.maxRecordsBytes ?? HTTP_INTAKE_DEFAULTS.maxRecordsBytes;
  const verifier = new HttpTokenVerifier({ httpCustomers: options.httpCustomers, cacheTtlMs: options.tokenCacheTtlMs ?? HTTP_INTAKE_DEFAULTS.tokenCacheTtlMs });
  const openApi = buildHttpIntakeOpenApi({ maxFileBytes, maxRecordsBytes });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const authenticateCustomer = async (request: FastifyRequest, reply: FastifyReply) => {
    const { customer } = request.params as { customer: string };
    if (!(await verifier.verify(customer, bearerTokenOf(request.headers.authorization)))) {
      // An unauthenticated upload is not read: closing beats draining a body nobody asked for.
      if (request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0) reply.header('Connection', 'close');
      throw unauthorized(reply);
    }
  };

  /** The file, if the token is its owner's; 401 for a token that is nobody's, 404 for someone else's file. */
  const ownedFile = async (request: FastifyRequest, reply: FastifyReply): Promise<FileRow> => {
    const token = bearerTokenOf(request.headers.authorization);
    if (!token) throw unauthorized(reply);
    const { id } = request.params as { id: string };
    const file = isFileIdShaped(id) ? await getFile(options.db, id) : undefined;
    // Checked even when there is no such file: a refusal without scrypt would answer early and tell the id is free.
    const owner = await verifier.verify(file?.customer, token);
    if (file && owner) return file;
    if ((await verifier.knownCustomerOf(token, file ? { skip: file.customer } : {})) === undefined) throw unauthorized(reply);
    throw new EngineProblem(404, 'FILE_NOT_FOUND', 'No file with that id for this customer.');
  };

  /** The checks every upload gets before its body is read: no compression, a declared length within the limit. */
  const checkDeclaredBody = (request: FastifyRequest, reply: FastifyReply, limit: number): void => {
    const encoding = request.headers['content-encoding'];
    if (encoding && encoding.toLowerCase() !== 'identity') {
      throw new EngineProblem(415, 'UNSUPPORTED_CONTENT_ENCODING', `Content-Encoding "${encoding.slice(0, 40)}" is not supported; send the body uncompressed.`);
    }
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(reply, limit);
  };

  /** Hands a body to the inbox and answers 202; a refusal thrown inside the body leaves nothing behind. */
  const deliver = async (
    request: FastifyRequest,
    reply: FastifyReply,
    settings: { originalName: string; body: AsyncIterable<Uint8Array>; kind: 'file' | 'records' },
  ): Promise<FileReceipt> => {
    const { customer } = request.params as { customer: string };
    let receipt: Receipt;
    try {
      receipt = await options.inbox.receive({
        customer,
        channel: 'http',
        originalName: settings.originalName,
        sender: request.ip,
        replyTo: { channel: 'http', correlationId: request.id },
        content: settings.body,
      });
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw tooLarge(reply, error.maxBytes);
      if (error instanceof SpoolLimitError) throw tooLarge(reply, error.maxBytes);
      if (error instanceof InvalidRecordsError) throw new EngineProblem(400, 'INVALID_RECORDS', `${error.message}.`);
      if (error instanceof MultipartError) throw multipartProblem(reply, error);
      // A client that went away has nobody to answer (logged as such by the error handler).
      if (request.raw.destroyed && !request.raw.complete) throw error;
      // Anything else is ours (the store down, the disk full): the inbox kept nothing, and the client can act on
      // a 503 with Retry-After, not on a bare 500.
      request.log.error({ err: error, customer, file: settings.originalName }, `${settings.kind} not received over HTTP: a problem on our side`);
      reply.header('Retry-After', String(NOT_RECEIVED_RETRY_AFTER_SECONDS));
      throw new EngineProblem(503, 'NOT_RECEIVED', 'The file was not received because of a problem on our side; nothing of it was kept. Send it again later (see Retry-After).');
    }
    request.log.info({ fileId: receipt.fileId, customer, channel: 'http', file: settings.originalName, state: receipt.state }, `${settings.kind} received over HTTP`);
    const location = statusPath(receipt.fileId);
    reply.code(202).header('Location', location);
    return {
      fileId: receipt.fileId,
      state: receipt.state,
      ...(receipt.duplicateOf ? { duplicateOf: receipt.duplicateOf } : {}),
      sizeBytes: receipt.sizeBytes,
      sha256: receipt.sha256,
      statusUrl: location,
    };
  };

  const receive = async (
    request: FastifyRequest,
    reply: FastifyReply,
    settings: { originalName: string; limit: number; check?: BodyCheck; kind: 'file' | 'records' },
  ): Promise<FileReceipt> => {
    checkDeclaredBody(request, reply, settings.limit);
    // The request's own iterator would destroy the socket when the inbox stops reading early (413): keep it open
    // so the problem reaches the client.
    const raw = request.raw as Readable;
    const body = request.headers['content-length'] === '0' ? undefined : await openRequestBody(raw.iterator({ destroyOnReturn: false }), settings.limit, settings.check);
    if (!body) throw new EngineProblem(400, 'EMPTY_BODY', settings.kind === 'file' ? 'The request body is empty: send the file\'s bytes as the body.' : 'The request body is empty: send a JSON object, an array of objects, or NDJSON.');
    return deliver(request, reply, { originalName: settings.originalName, body, kind: settings.kind });
  };

  /**
   * multipart/form-data: the one file part streams into the inbox (the file limit counted on its bytes, the whole
   * body bounded by that plus MULTIPART_ENVELOPE_BYTES); the part's filename names the file.
   */
  const receiveMultipart = async (request: FastifyRequest, reply: FastifyReply): Promise<FileReceipt> => {
    const maxBodyBytes = maxFileBytes + MULTIPART_ENVELOPE_BYTES;
    checkDeclaredBody(request, reply, maxBodyBytes);
    if (request.headers['content-length'] === '0') throw new EngineProblem(400, 'EMPTY_BODY', 'The request body is empty: send a multipart/form-data form with one file part.');
    let fileName: string;
    let body: AsyncIterable<Uint8Array> | undefined;
    try {
      const part = await openMultipartFile(request.raw as Readable, request.headers, { maxBodyBytes });
      fileName = part.fileName;
      body = await openRequestBody(part.content, maxFileBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw tooLarge(reply, error.maxBytes);
      if (error instanceof MultipartError) throw multipartProblem(reply, error);
      throw error;
    }
    if (!body) throw new EngineProblem(400, 'EMPTY_BODY', 'The file part is empty: send the file\'s bytes in it.');
    return deliver(request, reply, { originalName: fileName, body, kind: 'file' });
  };

  app.get(`${INBOUND_PREFIX}/openapi.json`, async () => openApi);

  app.post(`${INBOUND_PREFIX}/:customer/files`, { onRequest: authenticateCustomer }, async (request, reply) => {
    if (isMultipartFormData(request.headers['content-type'])) return receiveMultipart(request, reply);
    const name = uploadFileName(request.headers);
    if (!name) throw new EngineProblem(400, 'MISSING_FILE_NAME', 'Name the file: X-File-Name (percent-encoded UTF-8) or Content-Disposition: attachment; filename="...".');
    if ('error' in name) throw new EngineProblem(400, 'INVALID_FILE_NAME', name.error);
    return receive(request, reply, { originalName: name.name, limit: maxFileBytes, kind: 'file' });
  });

  app.post(
    `${INBOUND_PREFIX}/:customer/records`,
    { onRequest: authenticateCustomer },
    async (request, reply) => {
      const { essence, charset } = mediaTypeOf(request);
      const json = essence !== undefined && (JSON_TYPES.has(essence) || /^application\/[a-z0-9.+-]+\+json$/.test(essence));
      const ndjson = essence !== undefined && NDJSON_TYPES.has(essence);
      if (!json && !ndjson) {
        throw new EngineProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `${essence ? `Content-Type "${essence.slice(0, 100)}" is not supported` : 'A Content-Type is needed'}. Use application/json (an object or an array of objects) or application/x-ndjson (one object a line).`);
      }
      if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new EngineProblem(415, 'UNSUPPORTED_CHARSET', 'JSON records must be UTF-8.');
      const named = uploadFileName(request.headers);
      if (named && 'error' in named) throw new EngineProblem(400, 'INVALID_FILE_NAME', named.error);
      // Spooled as a .json file: the customer's JSON mapping picks it up by name and by its sniffed format.
      const base = named?.name ?? `records-${recordsStamp()}`;
      const originalName = /\.json$/i.test(base) ? base : `${base}.json`;
      return receive(request, reply, { originalName, limit: maxRecordsBytes, check: ndjson ? ndjsonRecordsCheck() : jsonRecordsCheck(), kind: 'records' });
    },
  );

  app.get(`${INBOUND_PREFIX}/files/:id`, async (request, reply) => {
    const file = await ownedFile(request, reply);
    reply.header('Cache-Control', 'no-store');
    return fileStatus(options.db, options.resultsDir, file);
  });

  app.get(`${INBOUND_PREFIX}/files/:id/results/:name`, async (request, reply) => {
    const file = await ownedFile(request, reply);
    const { name } = request.params as { name: string };
    if (!isFinished(file)) {
      throw new EngineProblem(404, 'RESULTS_NOT_READY', `The file is not finished yet (state ${file.state}); its results are listed on the status URL once it is.`);
    }
    // Only a name listed in the file's result folder is served: the name never becomes a path on its own.
    if (!listResultNames(options.resultsDir, file).includes(name)) throw new EngineProblem(404, 'RESULT_NOT_FOUND', 'The file has no result with that name.');
    return reply
      .type(resultMediaType(name))
      .header('Content-Disposition', attachmentDisposition(name))
      .send(createReadStream(join(resultDir(options.resultsDir, file.id), name)));
  });
}
