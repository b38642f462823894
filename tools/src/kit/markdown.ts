/** Markdown pieces the matrix sections share. */

/** A GitHub-flavoured table; cells are written as given (escape pipes before). */
export const table = (header: string[], rows: Array<Array<string | number>>) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** "Source:" link to a stack's compare JSON and the path inside it. */
export const src = (stack: string, path: string) => `[${stack}](results/compare/${stack}.json) \`${path}\``;
