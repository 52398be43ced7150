// A real OpenID Connect provider for ogi's single sign-on test (tests/tests/sso.rs):
// oauth2-mock-server on 127.0.0.1, one RS256 key, authorization code with PKCE, the
// authorization step approved at once. The ID token's preferred_username is the content of
// the file given as the second argument, read at each sign-in (the test writes who signs in).
//
//   node tests/oidc/provider.mjs PORT USERNAME_FILE
//
// Prints "ready ISSUER" once it serves.
import { readFileSync } from 'node:fs';
import { OAuth2Server } from 'oauth2-mock-server';

const [port, usernameFile] = process.argv.slice(2);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeTokenSigning', (token) => {
  token.payload.preferred_username = readFileSync(usernameFile, 'utf8').trim();
});
await server.start(Number(port), '127.0.0.1');
console.log(`ready ${server.issuer.url}`);
