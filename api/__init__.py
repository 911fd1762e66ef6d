"""Metodist API: the control plane, the tenant plane routing and the HTTP interface."""
