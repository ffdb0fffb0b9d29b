"""Admin for users and invitations."""
