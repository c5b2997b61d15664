"""Pure rules of the platform. Imports nothing of ours and no I/O library."""
