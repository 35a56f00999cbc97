import { z } from 'zod';
import { silentLogger, type Logger } from '../log/logger.ts';

/**
 * Everything `createEngineClient` accepts, with every default stated here and nowhere else. Parsed once at
 * construction; the rest of the client only ever sees the complete, validated object.
 */
export const EngineClientOptionsSchema = z
  .object({
    /** Origin of the intake engine, for example `https://api.kargo.zone` or `http://127.0.0.1:8080`; documents go to `${baseUrl}/v1/documents`. */
    baseUrl: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
    /**
     * The OAuth token endpoint. The hosted platform runs a separate authorisation server
     * (`https://…/oauth/token`, see the API guide); the bundled engine serves its own.
     * Default: `${baseUrl}/oauth/token`.
     */
    tokenUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** `audience` sent with the client-credentials grant (the hosted platform requires one); omitted when unset. */
    audience: z.string().min(1).optional(),
    /** OAuth client id. */
    clientId: z.string().min(1),
    /** OAuth client secret. Sent only to `tokenUrl`, never logged. */
    clientSecret: z.string().min(1),
    /** Deadline for one HTTP exchange (token or document), connect to last body byte. Default 30 000. */
    timeoutMs: z.number().int().positive().default(30_000),
    /** Keep-alive connections per origin (undici Agent). Default 16. */
    connections: z.number().int().positive().default(16),
    /** A token is refreshed this long before it expires (capped at half its lifetime). Default 60 000. */
    tokenRefreshMarginMs: z.number().int().nonnegative().default(60_000),
    /** Lifetime assumed when the token endpoint gives no `expires_in` and the token is not a JWT with `exp`. Default 300 000 (5 minutes). */
    assumedTokenLifetimeMs: z.number().int().positive().default(300_000),
    /** pino logger; the client logs as `component: "engine-client"`. Default: silent. */
    logger: z
      .custom<Logger>((value) => typeof value === 'object' && value !== null && typeof (value as Logger).child === 'function', 'must be a pino logger')
      .default(() => silentLogger),
    /** Clock in epoch milliseconds, for token expiry and Retry-After dates. Default `Date.now`. */
    now: z
      .custom<() => number>((value) => typeof value === 'function', 'must be a function returning epoch milliseconds')
      .default(() => Date.now),
  })
  .transform((options) => ({ ...options, tokenUrl: options.tokenUrl ?? `${options.baseUrl}/oauth/token` }));

/** What a caller passes (defaults optional). */
export type EngineClientOptions = z.input<typeof EngineClientOptionsSchema>;
/** The complete options after defaults. */
export type ResolvedEngineClientOptions = z.output<typeof EngineClientOptionsSchema>;
