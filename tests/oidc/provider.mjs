// A real OpenID provider for Kura's single sign-on tests: oidc-provider (the
// certified Node.js implementation) with one confidential client and a few
// accounts, on a free loopback port. Its development sign-in pages accept any
// password, so tests drive the whole authorization code flow with plain HTTP.
//
// Environment:
//   OIDC_CLIENTS  JSON array of {client_id, client_secret, redirect_uris}
//   OIDC_ACCOUNTS JSON array of {login, email, email_verified, name}; the
//                 login typed on the sign-in page is also the subject (sub)
// Prints "READY <port>" once it listens; the issuer is http://127.0.0.1:<port>.
import http from 'node:http';
import Provider from 'oidc-provider';

const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '[]');
// The development sign-in page makes the typed login the account id (= sub).
const byId = new Map(accounts.map((a) => [a.login, a]));

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      post_logout_redirect_uris: c.redirect_uris,
      ...c,
    })),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    cookies: { keys: ['kura-test-cookie-key'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const a = byId.get(id);
      if (!a) return undefined;
      return {
        accountId: a.login,
        async claims() {
          return {
            sub: a.login,
            email: a.email,
            email_verified: a.email_verified,
            name: a.name,
            preferred_username: a.login,
          };
        },
      };
    },
  });
  // Quiet: the tests read only the READY line.
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`READY ${port}`);
});

process.on('SIGTERM', () => process.exit(0));
// A test that stopped reading our output must not crash the provider.
process.stdout.on('error', () => {});
