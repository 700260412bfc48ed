import type { Request } from 'express';

const ANY_METHOD = ['get', 'post', 'put', 'patch', 'delete'];

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * The methods the application's routes take at this request's path, upper case, HEAD included with GET.
 * Express answers an unmatched method as an unknown route; this tells a 405 apart. Only called on the 404 path,
 * so walking the route table costs nothing on served requests.
 */
export function allowedMethods(req: Request): string[] {
  const stack = (req.app as unknown as { router?: { stack?: RouteLayer[] } }).router?.stack ?? [];
  const methods = new Set<string>();
  for (const layer of stack) {
    // Middleware is mounted as routes for every method (Nest's forRoutes, `all()`): no answer about methods.
    if (!layer.route || ANY_METHOD.every((m) => layer.route?.methods[m])) continue;
    let matches: boolean;
    try {
      matches = layer.match(req.path);
    } catch {
      // A malformed %-sequence in the path cannot match any route.
      matches = false;
    }
    if (!matches) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') methods.add(method.toUpperCase());
    }
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
