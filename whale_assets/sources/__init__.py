"""Clients of the outside world (Happywhale, the audio archive, the model hub); no dagster."""
