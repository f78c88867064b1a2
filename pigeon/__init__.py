"""Pigeon: a self-hosted AWS End User Messaging SMS and Voice v2 (pinpoint-sms-voice-v2) service."""

__version__ = "0.1.0"
