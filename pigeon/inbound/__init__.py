"""Handset -> us: inbound messages, keywords, opt-out and opt-in, automatic responses, two-way forwarding."""
