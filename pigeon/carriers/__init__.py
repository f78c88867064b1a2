"""Carrier connectors behind one small seam (``base.Connector``); the simulator is the default."""
