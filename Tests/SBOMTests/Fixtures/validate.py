#!/usr/bin/env python3
"""Validates an SBOM against an official schema: validate.py SCHEMA.json DOCUMENT.json (exit 1 with the errors)."""
import json, os, sys
import jsonschema
from referencing import Registry, Resource

here = os.path.dirname(os.path.abspath(__file__))
schema = json.load(open(sys.argv[1]))
document = json.load(open(sys.argv[2]))
resources = []
for name in ("spdx.schema.json", "jsf-0.82.schema.json"):
    contents = json.load(open(os.path.join(here, name)))
    resource = Resource.from_contents(contents)
    resources += [(contents["$id"], resource), (name, resource)]
registry = Registry().with_resources(resources)
validator = jsonschema.Draft7Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
for error in errors[:20]:
    print("/".join(map(str, error.path)) + ": " + error.message, file=sys.stderr)
sys.exit(1 if errors else 0)
