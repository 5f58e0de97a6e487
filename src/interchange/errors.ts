/** A problem with the input, named by line and field, that the user can fix. */
export class ImportError extends Error {
  readonly line: number | undefined;
  readonly field: string | undefined;
  readonly detail: string;

  constructor(detail: string, where: { line?: number | undefined; field?: string | undefined } = {}) {
    const place = [where.line === undefined ? '' : `line ${where.line}`, where.field ? `field "${where.field}"` : '']
      .filter(Boolean)
      .join(', ');
    super(place ? `${place}: ${detail}` : detail);
    this.name = 'ImportError';
    this.line = where.line;
    this.field = where.field;
    this.detail = detail;
  }
}
