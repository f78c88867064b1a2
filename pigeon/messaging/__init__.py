"""Sending: admission rules, encoding and segmentation, pricing, the durable outbox and the dispatcher."""
