import { expect, test } from '@playwright/test';

test.describe('static assets', () => {
  test('the wasm bundle is served brotli-compressed, as application/wasm, and cached immutably', async ({ page, request }) => {
    await page.goto('/');
    const href = await page.locator('link[rel="preload"][as="fetch"]').first().getAttribute('href');
    expect(href, 'link[rel=preload][as=fetch] href').toBeTruthy();
    const wasmUrl = new URL(href!, page.url());
    expect(wasmUrl.pathname).toMatch(/^\/pkg\/portal\.[^/]+\.wasm$/);

    const compressed = await request.get(wasmUrl.href, { headers: { 'accept-encoding': 'br' } });
    expect(compressed.status()).toBe(200);
    const headers = compressed.headers();
    expect(headers['content-type']).toBe('application/wasm');
    expect(headers['content-encoding']).toBe('br');
    expect(headers['cache-control']).toContain('immutable');
    // Playwright decodes the brotli body: it must be a real wasm module ("\0asm").
    expect([...(await compressed.body()).subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);

    const plain = await request.get(wasmUrl.href, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.status()).toBe(200);
    expect(plain.headers()['content-encoding'] ?? 'identity').toBe('identity');
    expect(plain.headers()['content-type']).toBe('application/wasm');
    expect([...(await plain.body()).subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
  });

  test('every hashed /pkg file the page references is served with an immutable cache-control', async ({ page, request }) => {
    await page.goto('/');
    const urls = await page
      .locator('link[href*="/pkg/"], script[src*="/pkg/"]')
      .evaluateAll((elements) =>
        elements.map((element) => (element as HTMLLinkElement).href || (element as HTMLScriptElement).src),
      );
    const paths = [...new Set(urls.map((url) => new URL(url).pathname))];
    for (const ext of ['js', 'wasm', 'css']) {
      expect(paths, `a hashed .${ext} file`).toContainEqual(expect.stringMatching(new RegExp(`^/pkg/portal\\.[^/]+\\.${ext}$`)));
    }

    const contentTypes: Record<string, RegExp> = {
      js: /^(text|application)\/javascript/,
      wasm: /^application\/wasm/,
      css: /^text\/css/,
    };
    for (const path of paths) {
      const response = await request.get(path);
      expect(response.status(), path).toBe(200);
      expect(response.headers()['cache-control'], `${path} cache-control`).toContain('immutable');
      const ext = path.split('.').pop() ?? '';
      if (contentTypes[ext]) expect(response.headers()['content-type'], `${path} content-type`).toMatch(contentTypes[ext]);
    }
  });

  test('/favicon.svg is served as SVG', async ({ request }) => {
    const response = await request.get('/favicon.svg');
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toMatch(/^image\/svg\+xml/);
  });

  test('/manifest.webmanifest is served as a JSON web app manifest', async ({ request }) => {
    const response = await request.get('/manifest.webmanifest');
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toMatch(/json/);
    expect(JSON.parse(await response.text())).toEqual(expect.any(Object));
  });
});
