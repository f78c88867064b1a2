"""Event records: AWS's formats, the local event log, and delivery to event destinations."""
