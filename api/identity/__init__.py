"""Identity: OpenID Connect sign-in, identity providers, accounts, invitations and sessions."""
