"""The HTTP edge: app factory, dependencies (which own the transaction), thin routers, schemas."""
