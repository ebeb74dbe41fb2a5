"""Definitions scaffolded by `dg scaffold defs` land here."""
