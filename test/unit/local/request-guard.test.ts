/** The guard against other web pages: each rule, with what it lets through and what it refuses. */
import { refusal, tokenCookie, type GuardedRequest, type GuardOptions } from '../../../local/request-guard';

const PORT = 4242;
const TOKEN = 'c0nsole-t0ken-8f2a91d4e7b3';

function request(method: string, headers: Record<string, string | string[]> = {}, path = '/api/chaos'): GuardedRequest {
  return { method, url: new URL(path, `http://localhost:${PORT}`), headers: { host: `localhost:${PORT}`, ...headers } };
}

const json = { 'content-type': 'application/json' };
const local: GuardOptions = { port: PORT };
const withToken: GuardOptions = { port: PORT, token: TOKEN };

describe('refusal', () => {
  describe('Host (DNS rebinding)', () => {
    it.each(['localhost:4242', '127.0.0.1:4242', '[::1]:4242', 'LOCALHOST:4242'])('lets %s through', (host) => {
      expect(refusal(request('GET', { host }), local)).toBeUndefined();
      expect(refusal(request('POST', { host, ...json }), local)).toBeUndefined();
    });

    it.each(['evil.example:4242', 'evil.example', 'localhost', 'localhost:4243', '127.0.0.1:80', 'localhost.evil.example:4242', 'localhost:4242, evil.example:4242'])('refuses %s', (host) => {
      expect(refusal(request('GET', { host }), local)).toBe(`Host ${host} does not name this server: open it as http://localhost:4242`);
    });

    it('refuses a request without a Host', () => {
      const { host: _, ...headers } = request('GET').headers;
      expect(refusal({ ...request('GET'), headers }, local)).toBe('Host (none) does not name this server: open it as http://localhost:4242');
    });

    it('refuses a repeated Host, whatever its values', () => {
      expect(refusal(request('GET', { host: ['localhost:4242', 'evil.example:4242'] }), local)).toBe('Host localhost:4242, evil.example:4242 does not name this server: open it as http://localhost:4242');
    });
  });

  describe('Origin', () => {
    it.each(['http://localhost:4242', 'http://127.0.0.1:4242', 'http://[::1]:4242'])('lets this server\'s own %s through', (origin) => {
      expect(refusal(request('PUT', { origin, ...json }), local)).toBeUndefined();
    });

    it('lets a request without an Origin through (curl, the CLI)', () => {
      expect(refusal(request('POST', json), local)).toBeUndefined();
    });

    it.each(['https://evil.example', 'http://localhost:4243', 'https://localhost:4242', 'http://evil.example:4242', 'null', 'http://localhost:4242.evil.example'])('refuses %s', (origin) => {
      expect(refusal(request('POST', { origin, ...json }), local)).toBe(`Origin ${origin} may not call this server: only its own pages may`);
      expect(refusal(request('GET', { origin }), local)).toBe(`Origin ${origin} may not call this server: only its own pages may`);
    });
  });

  describe('content type of mutations (what a cross-site form cannot send)', () => {
    it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8'])('lets %s through', (contentType) => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(refusal(request(method, { 'content-type': contentType }), local)).toBeUndefined();
    });

    it.each([['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x'], ['text/plain'], ['text/plain; a=application/json'], ['application/jsonp'], [undefined]])('refuses %s', (contentType) => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
        expect(refusal(request(method, contentType === undefined ? {} : { 'content-type': contentType }), local)).toBe(`${method.toUpperCase()} needs content-type: application/json`);
      }
    });

    it('asks no content type of reads', () => {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(refusal(request(method, { 'content-type': 'text/plain' }), local)).toBeUndefined();
    });
  });

  describe('with a token', () => {
    const tokenRefusal = 'This needs the console token: open the URL the console printed';

    it('lets a read through with the token in the header, the query or the cookie', () => {
      expect(refusal(request('GET', { 'x-console-token': TOKEN }), withToken)).toBeUndefined();
      expect(refusal(request('GET', {}, `/console?token=${TOKEN}`), withToken)).toBeUndefined();
      expect(refusal(request('GET', { cookie: `theme=dark; stripe_console_token=${TOKEN}` }), withToken)).toBeUndefined();
      expect(refusal(request('GET', { cookie: ['theme=dark', `stripe_console_token=${TOKEN}`] }), withToken)).toBeUndefined();
    });

    it('refuses a read without it, or with another', () => {
      expect(refusal(request('GET'), withToken)).toBe(tokenRefusal);
      expect(refusal(request('GET', { 'x-console-token': `${TOKEN.slice(0, -1)}x` }), withToken)).toBe(tokenRefusal);
      expect(refusal(request('GET', { 'x-console-token': TOKEN.slice(0, -1) }), withToken)).toBe(tokenRefusal);
      expect(refusal(request('GET', { 'x-console-token': [TOKEN, TOKEN] }), withToken)).toBe(tokenRefusal);
      expect(refusal(request('GET', {}, '/console?token=wrong'), withToken)).toBe(tokenRefusal);
      expect(refusal(request('GET', { cookie: 'stripe_console_token=wrong' }), withToken)).toBe(tokenRefusal);
      expect(refusal(request('GET', { cookie: `other_token=${TOKEN}` }), withToken)).toBe(tokenRefusal);
      expect(refusal(request('GET', { cookie: 'stripe_console_token=%E0%A4%A' }), withToken)).toBe(tokenRefusal);
    });

    it('lets a mutation through only with the token in the header', () => {
      expect(refusal(request('POST', { ...json, 'x-console-token': TOKEN }), withToken)).toBeUndefined();
      for (const headers of [{ cookie: `stripe_console_token=${TOKEN}` }, { 'x-console-token': 'wrong' }, {}] as Record<string, string>[]) {
        expect(refusal(request('POST', { ...json, ...headers }), withToken)).toBe('POST needs the console token in the x-console-token header');
      }
      expect(refusal(request('DELETE', json, `/api/chaos?token=${TOKEN}`), withToken)).toBe('DELETE needs the console token in the x-console-token header');
    });

    it('checks Host and Origin before the token', () => {
      expect(refusal(request('GET', { host: 'evil.example:4242', 'x-console-token': TOKEN }), withToken)).toMatch(/^Host evil\.example:4242 does not name this server/);
      expect(refusal(request('POST', { origin: 'https://evil.example', ...json, 'x-console-token': TOKEN }), withToken)).toMatch(/^Origin https:\/\/evil\.example/);
    });

    it('asks for no token when none is set', () => {
      expect(refusal(request('GET'), local)).toBeUndefined();
      expect(refusal(request('POST', json), local)).toBeUndefined();
    });
  });
});

describe('tokenCookie', () => {
  it('sets the cookie, HttpOnly and SameSite=Strict, when the right token comes in the query', () => {
    expect(tokenCookie(request('GET', {}, `/console?token=${TOKEN}`), withToken)).toBe(`stripe_console_token=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`);
  });

  it('sets a cookie the guard then accepts, whatever the token\'s characters', () => {
    const token = 'a;b c=d%';
    const options = { port: PORT, token };
    const cookie = tokenCookie(request('GET', {}, `/console?token=${encodeURIComponent(token)}`), options)!;
    expect(refusal(request('GET', { cookie: cookie.split(';')[0]! }), options)).toBeUndefined();
  });

  it('sets none for a wrong token, no token in the query, or a server without a token', () => {
    expect(tokenCookie(request('GET', {}, '/console?token=wrong'), withToken)).toBeUndefined();
    expect(tokenCookie(request('GET', { 'x-console-token': TOKEN }, '/console'), withToken)).toBeUndefined();
    expect(tokenCookie(request('GET', {}, `/console?token=${TOKEN}`), local)).toBeUndefined();
  });
});
