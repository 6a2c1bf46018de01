#!/usr/bin/env python3
"""Validates labforge's deploy files with Python's `jsonschema`.

  validate_deploy.py --kubernetes DIR [--schemas DIR] FILE.yaml...   Kubernetes/Tekton YAML documents
  validate_deploy.py --workflow-schema SCHEMA.json FILE.yml...        GitHub Actions workflows

Kubernetes built-in kinds use kubernetes-validate's "local" schemas (`<kind>-<group>-<version>.json`, every
`$ref` pointing into `_definitions.json`, registered under its `$id` so nothing is fetched); other kinds use
`{group}/{kind}_{version}.json` under --schemas (kubeconform layout). Prints one JSON report; exits 1 on any failure.
"""
import argparse
import json
import os
import re
import sys

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def load_json(path):
    with open(path) as f:
        return json.load(f)


def kubernetes_schema(directory, api_version, kind):
    # kubernetes-validate's naming: rbac.authorization.k8s.io/v1 -> rbac-v1, batch/v1 -> batch-v1, v1 -> v1.
    suffix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = os.path.join(directory, f"{kind.lower()}-{suffix}.json")
    return path if os.path.exists(path) else None


def crd_schema(roots, api_version, kind):
    group, _, version = api_version.rpartition("/")
    for root in roots:
        path = os.path.join(root, group or "core", f"{kind.lower()}_{version}.json")
        if os.path.exists(path):
            return path
    return None


def errors_of(document, schema, registry):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    validator = cls(schema, registry=registry)
    found = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return ["/".join(str(p) for p in e.absolute_path) + ": " + e.message for e in found]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubernetes", help="kubernetes-json-schema folder holding _definitions.json")
    parser.add_argument("--schemas", action="append", default=[], help="kubeconform-layout schema root (CRDs)")
    parser.add_argument("--workflow-schema", help="GitHub workflow JSON Schema (SchemaStore's github-workflow.json)")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    registry = Registry()
    if args.kubernetes:
        definitions = load_json(os.path.join(args.kubernetes, "_definitions.json"))
        registry = Resource.from_contents(definitions) @ registry

    report, failed = [], False
    for path in args.files:
        with open(path) as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
        for index, document in enumerate(documents):
            if args.workflow_schema:
                # PyYAML reads YAML 1.1, where the key `on` is the boolean true; GitHub reads it as "on".
                if True in document:
                    document["on"] = document.pop(True)
                schema_path = args.workflow_schema
                entry = {"file": path, "index": index, "schema": schema_path}
            else:
                api_version, kind = document.get("apiVersion", ""), document.get("kind", "")
                schema_path = (args.kubernetes and kubernetes_schema(args.kubernetes, api_version, kind)) or crd_schema(
                    args.schemas, api_version, kind)
                entry = {"file": path, "index": index, "apiVersion": api_version, "kind": kind, "schema": schema_path}
            if not schema_path:
                entry["errors"] = ["no schema for this apiVersion/kind"]
            else:
                schema = load_json(schema_path)
                resource = Resource.from_contents(schema, default_specification=DRAFT202012)
                entry["errors"] = errors_of(document, schema, resource @ registry if "$id" in schema else registry)
            failed |= bool(entry["errors"])
            report.append(entry)
    json.dump({"ok": not failed, "documents": report}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
