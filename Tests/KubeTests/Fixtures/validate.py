#!/usr/bin/env python3
"""Validates Kubernetes YAML (schema picked by apiVersion/kind, kubeconform layout) or JSON documents
against JSON Schemas with the `jsonschema` library. Prints one JSON report; exits 1 on any failure."""
import argparse
import json
import os
import sys

import jsonschema

def schema_path(roots, api_version, kind):
    group, _, version = api_version.rpartition("/")
    group = group or "core"
    name = f"{kind.lower()}_{version}.json"
    for root in roots:
        candidate = os.path.join(root, group, name)
        if os.path.exists(candidate):
            return candidate
    return None

def check(document, schema):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    validator = cls(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return ["/".join(str(p) for p in e.absolute_path) + ": " + e.message for e in errors]

def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schemas", action="append", default=[], help="kubeconform-layout schema root")
    parser.add_argument("--schema", help="one JSON Schema for JSON files")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    report = []
    failed = False
    for path in args.files:
        if args.schema:
            with open(args.schema) as f:
                schema = json.load(f)
            with open(path) as f:
                document = json.load(f)
            errors = check(document, schema)
            report.append({"file": path, "schema": args.schema, "errors": errors})
            failed |= bool(errors)
            continue
        import yaml
        with open(path) as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
        for index, document in enumerate(documents):
            api_version, kind = document.get("apiVersion", ""), document.get("kind", "")
            found = schema_path(args.schemas, api_version, kind)
            entry = {"file": path, "index": index, "apiVersion": api_version, "kind": kind, "schema": found}
            if not found:
                entry["errors"] = [f"no schema for {api_version} {kind}"]
            else:
                with open(found) as f:
                    schema = json.load(f)
                entry["errors"] = check(document, schema)
                # The datree schemas leave apiVersion/kind free-form; kubeconform chose the file by them.
                group = os.path.basename(os.path.dirname(found))
                expected = kind.lower() + "_" + api_version.rpartition("/")[2] + ".json"
                if os.path.basename(found) != expected or (group != "core" and not api_version.startswith(group + "/")):
                    entry["errors"].append("apiVersion/kind do not match the schema file")
            failed |= bool(entry["errors"])
            report.append(entry)
    json.dump({"ok": not failed, "documents": report}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
