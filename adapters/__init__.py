"""Platform adapters and the `advisor` command line: translate events in, render replies out."""
