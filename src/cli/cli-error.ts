/**
 * A failure the operator can act on (a missing file, a bad option, a gateway that does not answer): `intake`
 * prints its message on one line and exits 2, without a stack trace.
 */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
