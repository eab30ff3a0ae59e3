// Lets a child Node 22 process run the project's TypeScript: "./x.js" imports resolve to "./x.ts".
export async function resolve(spec, ctx, next) {
  try { return await next(spec, ctx); } catch (err) {
    if (spec.endsWith('.js') && (spec.startsWith('.') || spec.startsWith('/'))) return next(spec.slice(0, -3) + '.ts', ctx);
    throw err;
  }
}
