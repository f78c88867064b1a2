"""Text-to-speech for voice messages: Polly voice ids spoken with Debian's espeak-ng."""
