// A real OpenID provider (oidc-provider 8.x) for Metodist's sign-in tests.
//
// Started by tests/identity/login/conftest.py as `node tests/oidc/provider.js` with:
//   OIDC_PORT     the port to listen on (127.0.0.1 only)
//   OIDC_CLIENTS  JSON array of client metadata (client_id, client_secret, redirect_uris, ...)
// Sign-in uses the library's devInteractions: POST the login form with any `login` (it becomes
// the subject) and any password. Consent is granted automatically for the configured clients, so
// a sign-in is one form post. Accounts: a login containing "@" is its own e-mail address; a login
// starting with "unverified" gets `email_verified: false`, as a provider that does not vouch for
// addresses would send.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');

const configuration = {
  clients,
  pkce: { required: () => true, methods: ['S256'] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  cookies: { keys: ['metodist-test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const email = id.includes('@') ? id : `${id}@national.test`;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: !id.startsWith('unverified'), name: `Test ${id.split('@')[0]}` };
      },
    };
  },
  async loadExistingGrant(ctx) {
    // Consent is implied for the test clients: every sign-in needs only the login form.
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600,
  },
  renderError(ctx, out, error) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><html><body><h1>oops! something went wrong</h1><pre id="error">${out.error}: ${out.error_description || ''}</pre></body></html>`;
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, error) => { console.error('server_error', error); });

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
