import jsonata from 'jsonata';

/** JSONata evaluation with compiled expressions cached (steps' `when`/`items`, a definition's `output`). */
const compiled = new Map<string, ReturnType<typeof jsonata>>();
export async function evaluate(
  expression: string,
  data: unknown,
  bindings?: Record<string, unknown>,
): Promise<unknown> {
  let expr = compiled.get(expression);
  if (!expr) {
    expr = jsonata(expression);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(expression, expr);
  }
  return expr.evaluate(data, bindings);
}
