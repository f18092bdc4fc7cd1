// SPDX-License-Identifier: MIT
// Verifies greenroom identity tokens with the jose library, using only what greenroom
// publishes: the OpenID discovery document and the JWKS it points to.
// Usage: node verify.mjs BASE_URL TOKEN EXPECTED_SUBJECT
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

const [baseUrl, token, expectedSubject] = process.argv.slice(2);
let passed = 0;
let failed = 0;

function check(name, condition, detail) {
  if (condition) {
    passed++;
    console.log(`ok ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
}

const discovery = await (await fetch(`${baseUrl}/api/auth/.well-known/openid-configuration`)).json();
check('discovery names the issuer', discovery.issuer === `${baseUrl}/api/auth`, discovery.issuer);
const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
const options = {
  issuer: discovery.issuer,
  audience: 'backstage',
  algorithms: ['ES256'],
  typ: 'vnd.backstage.user',
};

try {
  const { payload, protectedHeader } = await jwtVerify(token, jwks, options);
  check('token verifies against the JWKS', true);
  check('header has a kid', typeof protectedHeader.kid === 'string' && protectedHeader.kid.length > 0);
  check('sub is the user entity ref', payload.sub === expectedSubject, payload.sub);
  check('ent lists the user', Array.isArray(payload.ent) && payload.ent.includes(expectedSubject));
  check('exp is one hour after iat', payload.exp - payload.iat === 3600, payload.exp - payload.iat);
} catch (error) {
  check('token verifies against the JWKS', false, `${error.code}: ${error.message}`);
}

async function rejects(name, candidate, extraOptions = {}) {
  try {
    await jwtVerify(candidate, jwks, { ...options, ...extraOptions });
    check(name, false, 'accepted');
  } catch (error) {
    check(name, true);
  }
}

const [header, body, signature] = token.split('.');
const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
claims.sub = 'user:default/admin';
const forgedBody = Buffer.from(JSON.stringify(claims)).toString('base64url');
await rejects('tampered payload is rejected', `${header}.${forgedBody}.${signature}`);
await rejects('other audience is rejected', token, { audience: 'someone-else' });
await rejects('other issuer is rejected', token, { issuer: 'http://elsewhere.test/api/auth' });

const unknownKid = Buffer.from(
  JSON.stringify({ ...decodeProtectedHeader(token), kid: 'no-such-key' }),
).toString('base64url');
await rejects('unknown kid is rejected', `${unknownKid}.${body}.${signature}`);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
