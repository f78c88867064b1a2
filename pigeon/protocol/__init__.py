"""AWS JSON 1.0 for pinpoint-sms-voice-v2: parse, authenticate, validate, serialize. Knows nothing of SMS."""
