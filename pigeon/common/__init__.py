"""Cross-cutting helpers written once and used by every family: ids, ARNs, lookups, pagination,
filters, tags, idempotency."""
