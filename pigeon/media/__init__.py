"""MMS media: fetching MediaUrls and checking their type and size."""
