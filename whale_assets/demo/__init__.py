"""Offline stand-ins for the outside world: a sparse local copy of the audio archive, demo data."""
