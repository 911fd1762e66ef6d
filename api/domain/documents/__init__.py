"""Methodological documents and their versions (tenant plane): files checked by content, kept by hash."""
