/** Input from the user (flags, query files) that cannot be used; the CLI exits with the usage code. */
export class UsageError extends Error {
  readonly code = 'ERR_DCMGET_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
