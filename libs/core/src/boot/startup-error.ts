/** A start-up failure the operator fixes (configuration, files): one line, exit 1. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
