// A real OpenID provider for the tests: panva's oidc-provider (the certified reference), with its
// own login page (devInteractions), one client (Alongside) and the people in ACCOUNTS_FILE.
//
// Configured from the environment by tests/oidc_provider.py:
//   PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, ACCOUNTS_FILE
// It prints "listening <issuer>" once it answers. Each start makes a new signing key with a new
// key id, as a provider rotating its keys does.
//
// For the refusal tests it can also be told, at POST /test-control, to spoil the next ID token it
// issues (as a man in the middle or a broken provider would): "signature" flips its signature;
// "audience", "nonce" and "expired" re-sign it with its own key after changing that claim. GET
// /test-control tells what the last authorisation request and token request carried (PKCE).
import { readFileSync } from 'node:fs';
import { Provider } from 'oidc-provider';
import * as jose from 'jose';

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const port = Number(env('PORT'));
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(readFileSync(env('ACCOUNTS_FILE'), 'utf8'));

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: `key-${Date.now()}`, alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [env('REDIRECT_URI')],
    post_logout_redirect_uris: [env('POST_LOGOUT_REDIRECT_URI')],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  // The people's claims go in the ID token, as Entra ID puts its groups there.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['alongside-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    const person = accounts[id];
    if (!person) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...person }; } };
  },
});

let spoil = null;
const seen = { authorization: null, token: null };

async function spoiled(idToken, how) {
  if (how === 'signature') {
    const [head, body, signature] = idToken.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    return `${head}.${body}.${flipped}`;
  }
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (how === 'audience') claims.aud = 'some-other-service';
  else if (how === 'nonce') claims.nonce = 'not-the-nonce-that-was-sent';
  else if (how === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  else throw new Error(`cannot spoil a token by ${how}`);
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid }).sign(privateKey);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/test-control') {
    if (ctx.method === 'POST') {
      spoil = ctx.query.spoil || null;
      ctx.status = 204;
    } else {
      ctx.body = seen;
    }
    return;
  }
  if (ctx.path === '/auth') seen.authorization = { ...ctx.query };
  await next();
  if (ctx.path === '/token' && ctx.method === 'POST') {
    seen.token = { code_verifier: ctx.oidc?.params?.code_verifier ?? null };
    if (spoil && ctx.body?.id_token) {
      ctx.body = { ...ctx.body, id_token: await spoiled(ctx.body.id_token, spoil) };
      spoil = null;
    }
  }
});

provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
