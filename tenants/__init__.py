"""The tenant plane: one PostgreSQL schema per organisation, its models, provisioning and migrations."""
