/**
 * The browser's part in sign-in flows through another site: fetch with a cookie jar per host, following
 * redirects by hand so every hop is seen (and can be asserted on).
 */
export class Browser {
  readonly jars = new Map<string, Map<string, string>>();

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const jar = this.jars.get(target.host) ?? new Map<string, string>();
    this.jars.set(target.host, jar);
    const headers: Record<string, string> = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...value] = (pair as string).split('=');
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0$/i.test(a));
      if (expired) jar.delete(name as string);
      else jar.set(name as string, value.join('='));
    }
    return response;
  }

  /** Follows redirects from `url` until a page that is not one; returns it and the URL it came from. */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ response: Response; url: string; trail: string[] }> {
    let response = await this.go(url, init);
    let current = url;
    const trail = [url];
    while (response.status >= 300 && response.status < 400) {
      current = new URL(response.headers.get('location') as string, current).href;
      trail.push(current);
      response = await this.go(current);
    }
    return { response, url: current, trail };
  }
}
