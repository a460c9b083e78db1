// Per-app Origin allow-list for WebSocket connections (4009 when refused).
// Entries: "*" (any), "https://app.example.com" (scheme + host[:port]), "app.example.com" (host,
// any scheme), "*.example.com" / "https://*.example.com" (subdomains, not the apex).
// A connection without an Origin header (not a browser) is refused when a list is set.

export function originAllowed(allowed: readonly string[] | undefined, origin: string | undefined): boolean {
  if (!allowed || allowed.length === 0) return true;
  if (allowed.includes('*')) return true;
  if (!origin) return false;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  const scheme = u.protocol.slice(0, -1);
  const host = u.host.toLowerCase(); // includes a non-default port
  return allowed.some((entry) => {
    let pattern = entry.trim().toLowerCase().replace(/\/+$/, '');
    const sep = pattern.indexOf('://');
    if (sep >= 0) {
      if (pattern.slice(0, sep) !== scheme) return false;
      pattern = pattern.slice(sep + 3);
    }
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    return host === pattern;
  });
}
