#!/usr/bin/env python3
"""Validates Kubernetes YAML against strict JSON Schemas with the `jsonschema` library (the schema is picked by
apiVersion/kind, as kubeconform does), or JSON documents against one schema. Prints one JSON report; exits 1
on any failure."""
import argparse
import json
import os
import sys

import jsonschema

# pool.kubevirt.io/v1beta1 is a mirror of v1alpha1 with two optional fields more (autohealing, updateStrategy;
# kubevirt/kubevirt#15166). The CRDs catalog publishes only the v1alpha1 schema, so v1beta1 pools are checked
# against it: stricter than the real API, never looser.
API_ALIASES = {"pool.kubevirt.io/v1beta1": "pool.kubevirt.io/v1alpha1"}


def kubeconform_path(roots, api_version, kind):
    """`{group}/{kind}_{version}.json` (datreeio/CRDs-catalog layout; `v1` maps to `core/`)."""
    group, _, version = API_ALIASES.get(api_version, api_version).rpartition("/")
    name = f"{kind.lower()}_{version}.json"
    for root in roots:
        candidate = os.path.join(root, group or "core", name)
        if os.path.exists(candidate):
            return candidate
    return None


def standalone_path(roots, api_version, kind):
    """`{kind}-{group prefix}-{version}.json` or `{kind}-{version}.json` (yannh/kubernetes-json-schema layout)."""
    group, _, version = api_version.rpartition("/")
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    for root in roots:
        candidate = os.path.join(root, kind.lower() + suffix + ".json")
        if os.path.exists(candidate):
            return candidate
    return None


def check(document, schema):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    validator = cls(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return ["/".join(str(p) for p in e.absolute_path) + ": " + e.message for e in errors]


def matches_schema(schema, path, api_version, kind):
    """kubeconform chose the file by apiVersion/kind; make sure the document really is that kind."""
    group, _, version = api_version.rpartition("/")
    gvks = schema.get("x-kubernetes-group-version-kind")
    if gvks:
        return any(g.get("group", "") == group and g.get("version") == version and g.get("kind") == kind for g in gvks)
    # The CRDs catalog's schemas leave apiVersion/kind free-form: check the file name and folder instead.
    schema_group, _, schema_version = API_ALIASES.get(api_version, api_version).rpartition("/")
    folder = os.path.basename(os.path.dirname(path))
    return os.path.basename(path) == f"{kind.lower()}_{schema_version}.json" and folder == (schema_group or "core")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schemas", action="append", default=[], help="kubeconform-layout schema root ({group}/{kind}_{version}.json)")
    parser.add_argument("--kubernetes", action="append", default=[], help="standalone-strict folder ({kind}-{group}-{version}.json)")
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
            found = standalone_path(args.kubernetes, api_version, kind) or kubeconform_path(args.schemas, api_version, kind)
            entry = {"file": path, "index": index, "apiVersion": api_version, "kind": kind, "schema": found}
            if not found:
                entry["errors"] = [f"no schema for {api_version} {kind}"]
            else:
                with open(found) as f:
                    schema = json.load(f)
                entry["errors"] = check(document, schema)
                if not matches_schema(schema, found, api_version, kind):
                    entry["errors"].append("apiVersion/kind do not match the schema file")
            failed |= bool(entry["errors"])
            report.append(entry)
    json.dump({"ok": not failed, "documents": report}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
