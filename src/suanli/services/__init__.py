"""Use cases: load via repositories, apply domain rules, append audit events; never commit."""
