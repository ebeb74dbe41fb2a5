"""Rules every source and store follows for I/O: which failures retrying can fix (`errors`) and how
long a network request may take (`network`). Plain Python below both `sources` and `storage`."""
