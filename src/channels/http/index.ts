export { callbackPayload, httpCallbackDeliverer, signCallback, verifyCallbackSignature, SIGNATURE_HEADER, type HttpCallbackDelivererOptions } from './http-callback-deliverer.ts';
export {
  cachedHttpCustomers,
  HttpChannelConfigError,
  HttpChannelSchema,
  HttpSecretRefSchema,
  loadHttpCustomers,
  resolveHttpChannel,
  type HttpChannel,
  type HttpCustomer,
  type LoadedHttpCustomers,
} from './http-channel-schema.ts';
export { buildHttpIntakeOpenApi } from './http-intake-openapi.ts';
export { HTTP_INTAKE_DEFAULTS, httpIntakeRoutes, type HttpIntakeOptions } from './http-intake-routes.ts';
export { CallbackPayloadSchema, FileReceiptSchema, FileStatusSchema, type CallbackPayload, type FileReceipt, type FileStatus } from './http-intake-schemas.ts';
export { HttpTokenVerifier, type HttpCustomers } from './http-token-verifier.ts';
