"""The registration definitions catalogue (data/registrations/*.yaml) and its three Describe operations.

Each registration type has sections, each section fields (SELECT, TEXT or ATTACHMENT; REQUIRED, CONDITIONAL or
OPTIONAL) and SupportedAssociations. The YAML uses short keys; this module turns them into the model's wire
shapes once. Keys the model does not have (``when``, ``number_types``, ``registration_types``, ``required``,
``max``) stay on the definition for Pigeon's own rules and are never serialized.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources as package_files
from typing import Any

import yaml

from pigeon.common import filters, pagination
from pigeon.errors import FieldViolation, Invalid
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation

DEFAULT_TEXT_PATTERN = "[\\s\\S]*"


@dataclass(frozen=True)
class FieldDefinition:
    wire: dict[str, Any]
    """RegistrationFieldDefinition as the model names it."""
    when: dict[str, list[str]] = field(default_factory=dict)
    """For CONDITIONAL fields: required when any of these fields holds one of the listed choices/values."""

    @property
    def path(self) -> str:
        return str(self.wire["FieldPath"])

    @property
    def field_type(self) -> str:
        return str(self.wire["FieldType"])

    @property
    def requirement(self) -> str:
        return str(self.wire["FieldRequirement"])


@dataclass(frozen=True)
class Association:
    """One SupportedAssociation plus Pigeon's matching rules for it."""

    wire: dict[str, Any]
    number_types: tuple[str, ...] = ()
    registration_types: tuple[str, ...] = ()
    required: bool = False
    """Submit refuses a version without one (ASSOCIATE_BEFORE_SUBMIT associations that must exist)."""
    max: int | None = None

    @property
    def behavior(self) -> str:
        return str(self.wire["AssociationBehavior"])

    @property
    def disassociation(self) -> str:
        return str(self.wire["DisassociationBehavior"])


@dataclass(frozen=True)
class TypeDefinition:
    name: str
    wire: dict[str, Any]
    sections: list[dict[str, Any]]
    fields: list[FieldDefinition]
    associations: list[Association]

    def field(self, path: str) -> FieldDefinition | None:
        return next((item for item in self.fields if item.path == path), None)

    def section_paths(self) -> list[str]:
        return [section["SectionPath"] for section in self.sections]


def _hints(entry: dict[str, Any], title: str | None = None) -> dict[str, Any]:
    hints = {"Title": title or entry.get("title", ""), "ShortDescription": entry.get("description", entry.get("title", ""))}
    if entry.get("link"):
        hints.update(DocumentationTitle=hints["Title"], DocumentationLink=entry["link"])
    if entry.get("example"):
        hints["ExampleTextValue"] = entry["example"]
    return hints


def _field(section: str, entry: dict[str, Any]) -> FieldDefinition:
    wire: dict[str, Any] = {
        "SectionPath": section,
        "FieldPath": f"{section}.{entry['path']}",
        "FieldType": entry["type"],
        "FieldRequirement": entry["requirement"],
        "DisplayHints": _hints(entry),
    }
    if entry["type"] == "TEXT":
        low, high = entry.get("length", [1, 2048])
        wire["TextValidation"] = {"MinLength": low, "MaxLength": high, "Pattern": entry.get("pattern", DEFAULT_TEXT_PATTERN)}
        wire["DisplayHints"]["TextValidationDescription"] = f"Between {low} and {high} characters"
    elif entry["type"] == "SELECT":
        wire["SelectValidation"] = {"MinChoices": entry.get("min_choices", 1), "MaxChoices": entry.get("max_choices", 1),
                                    "Options": list(entry["choices"])}
        wire["DisplayHints"]["SelectOptionDescriptions"] = [{"Option": option} for option in entry["choices"]]
    when = {f"{section}.{name}": [str(v) for v in values] for name, values in (entry.get("when") or {}).items()}
    return FieldDefinition(wire, when)


def _association(entry: dict[str, Any]) -> Association:
    wire = {"ResourceType": entry["resource_type"], "AssociationBehavior": entry["association"],
            "DisassociationBehavior": entry["disassociation"]}
    if entry.get("iso_country_code"):
        wire["IsoCountryCode"] = entry["iso_country_code"]
    return Association(wire, tuple(entry.get("number_types", ())), tuple(entry.get("registration_types", ())),
                       bool(entry.get("required", False)), entry.get("max"))


def _type(entry: dict[str, Any]) -> TypeDefinition:
    sections = list(entry.get("sections") or []) + list(entry.get("extra_sections") or [])
    associations = [_association(item) for item in entry.get("associations") or []]
    wire: dict[str, Any] = {"RegistrationType": entry["type"], "DisplayHints": _hints(entry)}
    wire["SupportedAssociations"] = [item.wire for item in associations]
    return TypeDefinition(
        name=entry["type"],
        wire=wire,
        sections=[{"SectionPath": s["path"], "DisplayHints": _hints(s)} for s in sections],
        fields=[_field(s["path"], f) for s in sections for f in s.get("fields") or []],
        associations=associations,
    )


@lru_cache(maxsize=1)
def catalogue() -> dict[str, TypeDefinition]:
    """Every registration type of data/registrations/*.yaml, in file and entry order."""
    folder = package_files.files("pigeon.data").joinpath("registrations")
    types: dict[str, TypeDefinition] = {}
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if item.name.endswith(".yaml"):
            for entry in yaml.safe_load(item.read_text())["types"]:
                types[entry["type"]] = _type(entry)
    return types


def _unknown(reason: str, member: str, values: list[str], what: str) -> Invalid:
    return Invalid(reason, f"Unknown {what}: {', '.join(values)}",
                   [FieldViolation(member, f"Unknown {what} {value}") for value in values])


def type_definition(name: str, member: str = "RegistrationType") -> TypeDefinition:
    """The definition of ``name``, or ValidationException UNKNOWN_REGISTRATION_TYPE."""
    found = catalogue().get(name)
    if found is None:
        raise _unknown("UNKNOWN_REGISTRATION_TYPE", member, [name], "registration type")
    return found


def check_section(definition: TypeDefinition, section: str | None, member: str = "SectionPath") -> None:
    if section is not None and section not in definition.section_paths():
        raise _unknown("UNKNOWN_REGISTRATION_SECTION", member, [section], "registration section")


def check_fields(definition: TypeDefinition, paths: list[str] | None, member: str = "FieldPaths") -> None:
    unknown = [path for path in paths or [] if definition.field(path) is None]
    if unknown:
        raise _unknown("UNKNOWN_REGISTRATION_FIELD", member, unknown, "registration field")


def selected_fields(definition: TypeDefinition, section: str | None, paths: list[str] | None) -> list[FieldDefinition]:
    """The fields of one section and/or the named fields (all when neither is given), in catalogue order."""
    check_section(definition, section)
    check_fields(definition, paths)
    chosen = [item for item in definition.fields if section is None or item.wire["SectionPath"] == section]
    return [item for item in chosen if not paths or item.path in paths]


TYPE_FILTERS = {
    "supported-association-resource-type": lambda t: [a.wire["ResourceType"] for a in t.associations],
    "supported-association-iso-country-code": lambda t: [a.wire.get("IsoCountryCode") for a in t.associations],
}


@operation("DescribeRegistrationTypeDefinitions")
def describe_registration_type_definitions(ctx: Context, params: Params) -> Result:
    names = params.get("RegistrationTypes")
    unknown = [name for name in names or [] if name not in catalogue()]
    if unknown:
        raise _unknown("UNKNOWN_REGISTRATION_TYPE", "RegistrationTypes", unknown, "registration type")
    order = {name: index for index, name in enumerate(catalogue())}
    types = [t for t in catalogue().values() if not names or t.name in names]
    types = filters.apply(types, params.get("Filters"), TYPE_FILTERS)
    chunk, token = pagination.page_of(ctx, params, types, lambda t: order[t.name])
    return {"RegistrationTypeDefinitions": [t.wire for t in chunk], "NextToken": token}


@operation("DescribeRegistrationSectionDefinitions")
def describe_registration_section_definitions(ctx: Context, params: Params) -> Result:
    definition = type_definition(params["RegistrationType"])
    wanted = params.get("SectionPaths")
    unknown = [path for path in wanted or [] if path not in definition.section_paths()]
    if unknown:
        raise _unknown("UNKNOWN_REGISTRATION_SECTION", "SectionPaths", unknown, "registration section")
    order = {path: index for index, path in enumerate(definition.section_paths())}
    sections = [s for s in definition.sections if not wanted or s["SectionPath"] in wanted]
    chunk, token = pagination.page_of(ctx, params, sections, lambda s: order[s["SectionPath"]])
    return {"RegistrationType": definition.name, "RegistrationSectionDefinitions": chunk, "NextToken": token}


@operation("DescribeRegistrationFieldDefinitions")
def describe_registration_field_definitions(ctx: Context, params: Params) -> Result:
    definition = type_definition(params["RegistrationType"])
    chosen = selected_fields(definition, params.get("SectionPath"), params.get("FieldPaths"))
    order = {item.path: index for index, item in enumerate(definition.fields)}
    chunk, token = pagination.page_of(ctx, params, chosen, lambda f: order[f.path])
    return {"RegistrationType": definition.name, "RegistrationFieldDefinitions": [f.wire for f in chunk],
            "NextToken": token}
