"""Pure signal, time and table logic: numpy/scipy/pandas only, never dagster."""
