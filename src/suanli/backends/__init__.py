"""Center adapters behind one interface (`base.Backend`), found by kind in `registry`."""
