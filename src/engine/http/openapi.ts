import { openApiComponentSchemas, componentRef } from '../../openapi/component-schemas.ts';
import { DocumentSchema, ItemSchema } from '../../documents/document.ts';
import {
  DocumentResponseSchema,
  EntityRefSchema,
  ItemViewSchema,
  OrderViewSchema,
  ProblemSchema,
  ShipmentViewSchema,
  StatusEventSchema,
} from '../../documents/response.ts';
import { PROBLEM_TITLES } from '../problem.ts';
import { MAX_CORRELATION_ID_LENGTH } from './correlation-id.ts';
import { GUIDE_PROBLEM_EXAMPLES, GUIDE_REQUEST_EXAMPLES } from './guide-examples.ts';
import { ShipmentEventRequestSchema } from './routes/shipments-routes.ts';
import { TokenRequestSchema, TokenResponseSchema } from './routes/token-route.ts';
import { renderDocumentXml } from './xml-document.ts';

type JsonObject = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the engine validates with, so the reference
 * cannot drift from the behaviour. Request schemas are rendered as inputs, response schemas as outputs.
 */
function componentSchemas(): JsonObject {
  return openApiComponentSchemas({
    input: [
      ['Document', DocumentSchema],
      ['Item', ItemSchema],
      ['TokenRequest', TokenRequestSchema],
      ['ShipmentEventRequest', ShipmentEventRequestSchema],
    ],
    output: [
      ['DocumentResponse', DocumentResponseSchema],
      ['EntityRef', EntityRefSchema],
      ['ShipmentView', ShipmentViewSchema],
      ['OrderView', OrderViewSchema],
      ['ItemView', ItemViewSchema],
      ['StatusEvent', StatusEventSchema],
      ['Problem', ProblemSchema],
      ['TokenResponse', TokenResponseSchema],
    ],
  });
}

const ref = componentRef;

const PROBLEM_MEANINGS: Record<number, string> = {
  400: 'Malformed JSON/XML or wrong field types.',
  401: 'Missing, expired, or invalid bearer token.',
  403: 'Token lacks permission for the requested business or facility.',
  404: 'business or facility not found.',
  409: 'Conflict, such as duplicate lpn + sku pairs, APPEND creating a duplicate item key, or a shipment conflict.',
  413: 'The request body is larger than the configured limit.',
  415: 'Unsupported media type. Use application/json, application/xml, or text/xml.',
  422: 'Semantically invalid document, such as a bad enum value or missing fields required by the chosen item strategy.',
  500: 'Unexpected error; quote the Correlation-Id.',
  503: 'The store does not answer.',
};

function problemResponses(statuses: number[], meanings: Record<number, string> = {}): JsonObject {
  return Object.fromEntries(
    statuses.map((status) => {
      const example = GUIDE_PROBLEM_EXAMPLES[status as keyof typeof GUIDE_PROBLEM_EXAMPLES];
      return [
        String(status),
        {
          description: meanings[status] ?? PROBLEM_MEANINGS[status] ?? PROBLEM_TITLES[status] ?? 'Error',
          headers: { 'Correlation-Id': { $ref: '#/components/headers/Correlation-Id' } },
          content: { 'application/problem+json': { schema: ref('Problem'), ...(example ? { example } : {}) } },
        },
      ];
    }),
  );
}

function jsonResponse(description: string, schema: string, extraHeaders: JsonObject = {}): JsonObject {
  return {
    description,
    headers: { 'Correlation-Id': { $ref: '#/components/headers/Correlation-Id' }, ...extraHeaders },
    content: { 'application/json': { schema: ref(schema) } },
  };
}

export function buildOpenApiDocument(options: { audience?: string | undefined } = {}): JsonObject {
  const correlationParameter = { $ref: '#/components/parameters/Correlation-Id' };
  const secured = [{ bearerToken: [] }, { clientCredentials: [] }];
  const xmlExamples = Object.fromEntries(
    Object.entries(GUIDE_REQUEST_EXAMPLES).map(([name, example]) => [name, { summary: example.summary, value: renderDocumentXml(example.value) }]),
  );
  const replayedHeader = { 'Idempotent-Replayed': { description: '"true" when this is the stored response of an earlier request with the same Idempotency-Key.', schema: { type: 'string', enum: ['true'] } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Document Intake API',
      version: '1.0.0',
      description:
        'POST /v1/documents creates or updates shipments, orders, and order items. Get a token from POST /oauth/token ' +
        '(client credentials), click Authorize and paste `Bearer <ACCESS_TOKEN>`. Every error is application/problem+json with a machine `code`.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Documents', description: 'Create or update shipments, orders, and order items.' },
      { name: 'Shipments', description: 'Read shipments and record arrival and departure.' },
      { name: 'Authentication', description: 'OAuth 2.0 client credentials.' },
      { name: 'Operations' },
    ],
    paths: {
      '/oauth/token': {
        post: {
          tags: ['Authentication'],
          summary: 'Get an access token (client credentials)',
          operationId: 'getToken',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: ref('TokenRequest'),
                example: { client_id: '<CLIENT_ID>', client_secret: '<CLIENT_SECRET>', ...(options.audience ? { audience: options.audience } : {}), grant_type: 'client_credentials' },
              },
              'application/x-www-form-urlencoded': { schema: ref('TokenRequest') },
            },
          },
          responses: {
            '200': jsonResponse('The access token; send it as `Authorization: Bearer <access_token>`.', 'TokenResponse'),
            ...problemResponses([400, 401, 413, 415], { 400: 'grant_type is not client_credentials, or a field is missing.', 401: 'Unknown client or wrong client secret.' }),
          },
        },
      },
      '/v1/documents': {
        post: {
          tags: ['Documents'],
          summary: 'Create or update a shipment, an order and its items',
          operationId: 'postDocument',
          security: secured,
          parameters: [
            correlationParameter,
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description:
                'Optional. The same client, key and body within 24 hours returns the first response (with Idempotent-Replayed: true) without applying again; the same key with another body is 422 IDEMPOTENCY_KEY_REUSED.',
              schema: { type: 'string', minLength: 1, maxLength: 255 },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('Document'), examples: GUIDE_REQUEST_EXAMPLES },
              'application/xml': { schema: ref('Document'), examples: xmlExamples },
              'text/xml': { schema: ref('Document'), examples: xmlExamples },
            },
          },
          responses: {
            '200': jsonResponse('Document processed; existing entities were updated or removed and nothing new was created.', 'DocumentResponse', replayedHeader),
            '201': jsonResponse('Document processed; one or more entities were created.', 'DocumentResponse', replayedHeader),
            ...problemResponses([400, 401, 403, 404, 409, 413, 415, 422, 500]),
          },
        },
      },
      '/v1/shipments/{id}': {
        get: {
          tags: ['Shipments'],
          summary: 'Read a shipment',
          operationId: 'getShipment',
          security: secured,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }, correlationParameter],
          responses: {
            '200': jsonResponse('The shipment, its orders and items.', 'ShipmentView'),
            ...problemResponses([400, 401, 403, 404], { 400: 'The id is not a positive integer.', 404: 'No such shipment (SHIPMENT_NOT_FOUND).' }),
          },
        },
      },
      '/v1/shipments/{id}/events': {
        post: {
          tags: ['Shipments'],
          summary: 'Record that a shipment arrived or departed',
          operationId: 'postShipmentEvent',
          security: secured,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }, correlationParameter],
          requestBody: { required: true, content: { 'application/json': { schema: ref('ShipmentEventRequest'), example: { type: 'ARRIVED' } } } },
          responses: {
            '200': jsonResponse('The shipment after the event.', 'ShipmentView'),
            ...problemResponses([400, 401, 403, 404, 409, 415, 422], { 404: 'No such shipment (SHIPMENT_NOT_FOUND).', 409: 'The event does not fit the shipment status.', 422: 'type is not ARRIVED or DEPARTED.' }),
          },
        },
      },
      '/healthz': {
        get: {
          tags: ['Operations'],
          summary: 'Liveness and store health (no token)',
          operationId: 'health',
          responses: {
            '200': { description: 'The store answers.', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] } } } },
            ...problemResponses([503]),
          },
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        // The guide has people paste "Bearer <ACCESS_TOKEN>" into Swagger's Authorize box: a header value as is.
        bearerToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Paste `Bearer <ACCESS_TOKEN>`.' },
        clientCredentials: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: {} } } },
      },
      parameters: {
        'Correlation-Id': {
          name: 'Correlation-Id',
          in: 'header',
          required: false,
          description:
            `Optional, for tracing and log lookup; returned unchanged: any header text up to ${MAX_CORRELATION_ID_LENGTH} characters. ` +
            'When it is absent, blank or longer, a UUID is generated and returned instead.',
          schema: { type: 'string', minLength: 1, maxLength: MAX_CORRELATION_ID_LENGTH },
        },
      },
      headers: {
        'Correlation-Id': { description: 'The request\'s Correlation-Id, or the one generated for it.', schema: { type: 'string' } },
      },
    },
  };
}
