"""The /_pigeon inspection API (JSON) and, later, the web inbox."""
