import { IntakeError } from '../../src/errors/intake-error.ts';

/** The IntakeError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function intakeErrorOf(promise: Promise<unknown>): Promise<IntakeError> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (caught instanceof IntakeError) return caught;
  throw new Error(`expected an IntakeError, got ${String(caught)}`);
}
