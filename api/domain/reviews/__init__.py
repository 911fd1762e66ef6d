"""Review routes and approvals of methodological documentation (cl. 13, 18-21, 29)."""
