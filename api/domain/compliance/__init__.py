"""Compliance monitoring: the Rules as versioned data, checks per organisation, stored findings."""
