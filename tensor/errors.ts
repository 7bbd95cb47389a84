/**
 * A problem with what the user handed us (a file, a flag, an arch, a mask).
 * The CLI prints its message as one line and exits with code 2; anything else is
 * an internal failure (exit code 1).
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly exitCode = 2;
}

export function isInputError(err: unknown): err is InputError {
  return err instanceof InputError;
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * One line for the first problem zod found in a user's file:
 * `arch.json: field 'choices.ks': expected number, received object`.
 */
export function zodInputError(file: string, issues: readonly ZodLikeIssue[]): InputError {
  const first = issues[0];
  const field = first && first.path.length > 0 ? first.path.map(String).join('.') : '(root)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return new InputError(`${file}: field '${field}': ${first?.message ?? 'invalid'}${more}`);
}
