"""Pages of identity (issue 3, sign-in half): sign-in, my sessions, identity providers, invitations."""
