"""Runs schemathesis against a running `lnsim mock-linstor`, restricted to every operation of
LINSTOR's OpenAPI spec (linstor-rest-v1-openapi.yaml beside this file, copied unchanged from
LINBIT/linstor-server docs/rest_v1_openapi.yaml) that the mock serves, then checks that the mock
still answers and that its state is consistent.

Which operations the mock serves is asked of the mock itself: a PATCH (a method the mock serves
nowhere) to each spec path, placeholders filled, answers 404 "Not Found" (path not served) or
405 with an Allow header naming the served methods.

usage: run.py URL WORKDIR [--max-examples N] [--seed N]
exit 0: every check passed; 1: a check failed or the mock is inconsistent afterwards.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "linstor-rest-v1-openapi.yaml")
METHODS = ("get", "put", "post", "delete", "patch")
# Server-sent event streams never end: schemathesis would wait on them until its timeout. The
# golinstor peer and tests/mock-linstor/sse_fidelity_itest.cc check them instead.
STREAMS = {"/v1/events/drbd/promotion", "/v1/events/nodes"}
CHECKS = ",".join([
    # not_a_server_error is replaced by check_server_errors (LINSTOR's refusals are 500s)
    "status_code_conformance",      # every status is one the spec documents for the operation
    "content_type_conformance",
    "response_schema_conformance",  # bodies validate against the spec's schemas
])


def request(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def served_methods(base, path):
    """The methods the mock serves on spec path `path` (placeholders filled with 'x')."""
    concrete = re.sub(r"\{[^}]+\}", "x", path)
    status, headers, body = request(base + concrete, "PATCH")
    if status == 404 and body == b"Not Found":
        return set()
    if status == 405 and "Allow" in headers:
        return {m.strip().lower() for m in headers["Allow"].split(",")}
    raise SystemExit(f"probe PATCH {concrete}: unexpected answer {status} {body[:200]!r}")


def served_spec(base, spec, only):
    """A copy of `spec` keeping only the operations the mock serves, minus the SSE streams."""
    kept, skipped = {}, []
    for path, item in spec["paths"].items():
        if only and not re.search(only, path):
            continue
        ops = {m for m in METHODS if m in item}
        served = served_methods(base, path) & ops
        if path in STREAMS:
            skipped += [f"{m.upper()} {path} (SSE stream)" for m in sorted(served)]
            continue
        if not served:
            continue
        kept[path] = {k: v for k, v in item.items() if k not in METHODS or k in served}
    out = dict(spec)
    out["paths"] = kept
    return out, skipped


def resolve_params(spec, item, op):
    """The operation's parameters (path-item level too), $refs resolved one level."""
    out = []
    for p in item.get("parameters", []) + op.get("parameters", []):
        if "$ref" in p:
            p = spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        out.append(p)
    return out


def apply_errata(spec):
    """Narrow corrections where the spec is wrong against the real controller (the Java code
    wins: ../shared/reference/LINSTOR-API.md "Errata" and section 3.3; docs/mock-linstor.md
    "Real clients"). Each is a body or status the real controller sends; nothing else changes."""
    comp = spec["components"]
    # E1: every 500 body is an ApiCallRc list (ApiCallRcRestUtils), not the one object shown.
    comp["responses"]["OperationFailed"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/ApiCallRcList"}
    # E2: Node.type is sent upper case (SATELLITE, Node.Type enum names).
    node_type = comp["schemas"]["Node"]["properties"]["type"]
    node_type["enum"] = node_type["enum"] + [v.upper() for v in node_type["enum"]]
    # E3: VolumeLayer.data's oneOf alternatives have no discriminator and overlap (a STORAGE
    # layer's data fits several): "exactly one" cannot hold for any real answer; anyOf keeps
    # the type check.
    data = comp["schemas"]["VolumeLayer"]["properties"]["data"]
    if "oneOf" in data:
        data["anyOf"] = data.pop("oneOf")
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses = op.setdefault("responses", {})
            # E4: a missing object named in the path is 404 + ApiCallRc list (FAIL_NOT_FOUND_*,
            # LINSTOR-API.md 3.3) on every operation; the spec lists it on few of them.
            if "{" in path and "404" not in responses:
                responses["404"] = {"$ref": "#/components/responses/ObjectNotFound"}
            # E6: any refused call is a 500 + ApiCallRc list (LINSTOR-API.md 3.3 "every other
            # error -> 500", e.g. a body LINSTOR's async JSON binding cannot read); the spec
            # lists it on most operations but not all.
            if method != "get" and "500" not in responses:
                responses["500"] = {"$ref": "#/components/responses/OperationFailed"}
            # E7: unparseable JSON on a synchronous call is 400 + ApiCallRc list
            # (API_CALL_PARSE_ERROR, LINSTOR-API.md errata); not every write lists it.
            if method != "get" and "400" not in responses:
                responses["400"] = {"$ref": "#/components/responses/InvalidInput"}
            # E8: a path parameter Jersey cannot convert (an int out of range) is Jersey's own
            # 404 with a non-JSON body (JAX-RS: @PathParam conversion failure -> 404), as for an
            # unknown path (LINSTOR-API.md 3.3). Only operations with integer path parameters.
            if any(p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
                   for p in resolve_params(spec, item, op)):
                responses["404"] = {"description": "not found", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ApiCallRcList"}},
                    "text/plain": {"schema": {"type": "string"}}}}
            # E5: POST .../volume-definitions answers 200, not 201 (LINSTOR-API.md errata).
            if method == "post" and path.endswith("/volume-definitions") and "200" not in responses:
                responses["200"] = responses.get("201", {"description": "created"})
    return spec


def check_server_errors(har_file):
    """not_a_server_error, narrowed: LINSTOR answers most refused writes with a documented 500
    whose body is an ApiCallRc list (LINSTOR-API.md 3.3: 'every other error -> 500'). A 5xx is
    a defect when it is not 500, its body is not an ApiCallRc list, or its first error is
    FAIL_UNKNOWN_ERROR / FAIL_IMPL_ERROR (998/999: what the controller answers when it crashed)."""
    with open(har_file) as f:
        entries = json.load(f)["log"]["entries"]
    problems = []
    for e in entries:
        status = e["response"]["status"]
        if status < 500:
            continue
        where = f"{e['request']['method']} {e['request']['url']} -> {status}"
        text = e["response"]["content"].get("text", "")
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if status != 500 or not isinstance(body, list) or not body:
            problems.append(f"{where}: not a 500 ApiCallRc list: {text[:200]!r}")
            continue
        errors = [rc for rc in body if isinstance(rc, dict) and rc.get("ret_code", 0) < 0]
        code = (errors[0]["ret_code"] & 0x7FFF) if errors else None
        if code in (998, 999):
            problems.append(f"{where}: internal error {code}: {errors[0].get('message')}")
    return len(entries), problems


def run_schemathesis(venv_bin, spec_file, base, workdir, args):
    cmd = [os.path.join(venv_bin, "st"), "--config-file", os.path.join(HERE, "schemathesis.toml"),
           "run", spec_file, "--url", base,
           "--checks", CHECKS, "--max-examples", str(args.max_examples), "--seed", str(args.seed),
           "--phases", "examples,coverage,fuzzing", "--workers", "1", "--no-shrink",
           "--request-timeout", "10", "--suppress-health-check", "all",
           "--report", "junit,har", "--report-junit-path", os.path.join(workdir, "junit.xml"),
           "--report-har-path", os.path.join(workdir, "requests.har")]
    print("+ " + " ".join(cmd), flush=True)
    env = dict(os.environ, SCHEMATHESIS_HOOKS="", NO_COLOR="1")
    return subprocess.run(cmd, cwd=workdir, env=env).returncode


def get_json(base, path):
    status, _, body = request(base + path)
    if status != 200:
        raise AssertionError(f"GET {path} -> {status} {body[:200]!r}")
    return json.loads(body)


def check_consistency(base):
    """After the run: every list parses and the objects refer to each other consistently."""
    problems = []
    nodes = {n["name"] for n in get_json(base, "/v1/nodes")}
    rds = {d["name"]: d for d in get_json(base, "/v1/resource-definitions")}
    groups = {g["name"] for g in get_json(base, "/v1/resource-groups")}
    pools = get_json(base, "/v1/view/storage-pools")
    view = get_json(base, "/v1/view/resources")
    get_json(base, "/v1/controller/version")
    for pool in pools:
        if pool.get("node_name") not in nodes:
            problems.append(f"storage pool {pool.get('storage_pool_name')} on unknown node "
                            f"{pool.get('node_name')}")
    for name, rd in rds.items():
        group = rd.get("resource_group_name")
        if group and group not in groups:
            problems.append(f"resource definition {name} in unknown resource group {group}")
    for rsc in view:
        if rsc.get("name") not in rds:
            problems.append(f"resource {rsc.get('name')} on {rsc.get('node_name')}: no definition")
        if rsc.get("node_name") not in nodes:
            problems.append(f"resource {rsc.get('name')} on unknown node {rsc.get('node_name')}")
    for name in rds:
        vds = get_json(base, f"/v1/resource-definitions/{name}/volume-definitions")
        numbers = [vd["volume_number"] for vd in vds]
        if len(numbers) != len(set(numbers)):
            problems.append(f"resource definition {name}: duplicate volume numbers {numbers}")
    print(f"consistency: {len(nodes)} nodes, {len(rds)} resource definitions, {len(groups)} "
          f"resource groups, {len(pools)} storage pools, {len(view)} resources")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("workdir")
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--only", default="", help="regex: test only the spec paths it matches")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    subset, skipped = served_spec(base, apply_errata(spec), args.only)
    ops = [f"{m.upper()} {p}" for p, item in subset["paths"].items() for m in METHODS if m in item]
    print(f"operations: {len(ops)} of the spec's served by the mock and tested; "
          f"{len(skipped)} skipped: {', '.join(skipped)}")
    for op in ops:
        print(f"  {op}")
    spec_file = os.path.join(args.workdir, "served-openapi.yaml")
    with open(spec_file, "w") as f:
        yaml.safe_dump(subset, f, sort_keys=False)
    rc = run_schemathesis(os.path.dirname(sys.executable), spec_file, base, args.workdir, args)
    requests, server_errors = check_server_errors(os.path.join(args.workdir, "requests.har"))
    for p in server_errors:
        print(f"SERVER ERROR: {p}")
    print(f"requests sent: {requests}; server errors that are defects: {len(server_errors)}")
    try:
        problems = check_consistency(base)
    except (AssertionError, OSError, ValueError, KeyError) as err:
        problems = [f"mock unusable after the run: {err}"]
    for p in problems:
        print(f"INCONSISTENT: {p}")
    print(f"schemathesis exit {rc}; {len(problems)} consistency problems")
    return 0 if rc == 0 and not problems and not server_errors else 1


if __name__ == "__main__":
    sys.exit(main())
