"""Registrations: the definitions catalogue, registrations and their versions, field values, attachments,
associations and the operator's review. Importing the package registers every operation."""

from pigeon.service.registrations import (  # noqa: F401
    associations,
    attachments,
    definitions,
    field_values,
    records,
    registrations,
    review,
    versions,
)
