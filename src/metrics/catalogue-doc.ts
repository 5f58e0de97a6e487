import { KPIS } from './catalogue.ts';

/**
 * The catalogue as Markdown, from the KPI definitions themselves: docs/kpi-catalogue.md is this text
 * (`tributary kpi list --format md > docs/kpi-catalogue.md`; a test keeps the two equal).
 */
export function catalogueMarkdown(): string {
  const index = KPIS.map((k) => `| [\`${k.id}\`](#${k.id}) | ${k.title} | ${k.unit} | ${k.grains.join(', ')} | ${k.source.name} |`).join('\n');
  const sections = KPIS.map((k) => {
    const lines = [
      `## ${k.id}`,
      '',
      `**${k.title}** (${k.unit}; by ${k.grains.join(', ')}; default ${k.defaultGrain}; for ${k.populations.join(', ')})`,
      '',
      k.definition,
      '',
      `- Source: ${k.source.url ? `[${k.source.name}](${k.source.url})` : k.source.name}`,
    ];
    if (k.source.choices) lines.push(`- Choices: ${k.source.choices}`);
    if (k.target) lines.push(`- Target: ${k.target}`);
    if (k.needs.length) lines.push(`- Needs: ${k.needs.join(', ')} (without them the KPI says it is not available)`);
    const shape = k.parameters && 'shape' in k.parameters ? Object.keys((k.parameters as unknown as { shape: Record<string, unknown> }).shape) : [];
    if (shape.length) lines.push(`- Parameters: ${shape.map((p) => `\`${p}\``).join(', ')} (\`--param name=value\`)`);
    lines.push(`- Definition and query: \`src/metrics/kpis/${k.id}.ts\``);
    return lines.join('\n');
  });
  return `# KPI catalogue\n\nGenerated from \`src/metrics/kpis/\` by \`tributary kpi list --format md\`; [kpis.md](kpis.md) explains how they are computed.\n\n| id | KPI | unit | by | source |\n|---|---|---|---|---|\n${index}\n\n${sections.join('\n\n')}\n`;
}
