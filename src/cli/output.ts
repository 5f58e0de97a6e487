import pc from 'picocolors';

/** A failure the user caused by how they called us: exit code 2, like a usage error. */
export class UsageError extends Error {}

export function printJson(value: unknown) {
  process.stdout.write(`${JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);
}

export function printTable(rows: Record<string, unknown>[], columns: string[]) {
  const cells = rows.map((row) =>
    columns.map((column) => (typeof row[column] === 'number' ? formatNumber(row[column] as number) : String(row[column] ?? ''))),
  );
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => (line[index] as string).length)));
  const format = (line: string[]) => line.map((cell, index) => cell.padEnd(widths[index] as number)).join('  ').trimEnd();
  process.stdout.write(`${pc.bold(format(columns))}\n`);
  for (const line of cells) process.stdout.write(`${format(line)}\n`);
}

export function formatNumber(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A one-line progress display on stderr, redrawn at most ten times a second, only when stderr is a
 * terminal: pipes and CI logs get no control characters.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly label: string;

  constructor(label: string, enabled = Boolean(process.stderr.isTTY)) {
    this.label = label;
    this.enabled = enabled;
  }

  update(parts: { done: number; unit: string; total?: number | undefined; bytes?: number | undefined }) {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(parts.done / seconds) : 0;
    let bar = '';
    if (parts.total) {
      const width = 24;
      const filled = Math.min(width, Math.round((parts.done / parts.total) * width));
      bar = `${pc.cyan('█'.repeat(filled))}${pc.dim('░'.repeat(width - filled))} ${Math.floor((parts.done / parts.total) * 100)}% `;
    }
    const bytes = parts.bytes === undefined ? '' : `, ${formatBytes(parts.bytes)}`;
    process.stderr.write(`\r\x1b[2K${this.label} ${bar}${formatNumber(parts.done)} ${parts.unit}${bytes} (${formatNumber(rate)}/s)`);
  }

  done() {
    if (this.enabled) process.stderr.write('\r\x1b[2K');
  }
}
