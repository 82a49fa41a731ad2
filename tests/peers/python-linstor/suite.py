#!/usr/bin/env python3
"""Drive lnsim mock-linstor with LINBIT's python-linstor (linstor.Linstor), the library under
the `linstor` CLI, and check each answer the way a real controller gives it.

usage: suite.py http://127.0.0.1:PORT

Prints one row per call (call, pass/fail/xfail, detail) and the counts; exits 1 when a call
failed unexpectedly or a known deviation (KNOWN) started passing, so the list stays true.
Built for `lnsim mock-linstor --nodes 5 --resources 20 --seed 3`: nodes node-1..node-5, each
with pool1 (LVM_THIN) and DfltDisklessStorPool; groups DfltRscGrp and rg1.
"""
import json
import sys
import time
import traceback

import linstor
from linstor import sharedconsts as rc

CODE_BITS = 0x7FFF  # bits 0-14: the code (sharedconsts: "Bits 0 - 14 are reserved for codes")

# Calls the mock is known to answer differently from LINSTOR (docs/mock-linstor.md).
KNOWN = {
}


class Suite:
    def __init__(self, api):
        self.api = api
        self.rows = []

    def run(self, name, fn):
        """fn() returns a detail string on success and raises AssertionError on a mismatch."""
        try:
            detail = fn() or "ok"
            status = "pass"
        except Exception as error:  # noqa: BLE001 - any failure is a row, not a crash
            status = "fail"
            detail = f"{type(error).__name__}: {error}"
            if not isinstance(error, AssertionError):
                detail += " | " + traceback.format_exc(limit=2).splitlines()[-2].strip()
        if name in KNOWN:
            status = "xfail" if status == "fail" else "XPASS"
            detail = f"{detail} (known: {KNOWN[name]})"
        self.rows.append((name, status, detail.replace("\n", " ")[:160]))

    def report(self):
        width = max(len(r[0]) for r in self.rows)
        print(f"{'call'.ljust(width)}  result  detail")
        for name, status, detail in self.rows:
            print(f"{name.ljust(width)}  {status.ljust(6)}  {detail}")
        counts = {s: sum(1 for r in self.rows if r[1] == s) for s in ("pass", "fail", "xfail", "XPASS")}
        print(f"\n{len(self.rows)} calls: {counts['pass']} pass, {counts['fail']} fail, "
              f"{counts['xfail']} known deviations, {counts['XPASS']} known deviations now passing")
        return counts["fail"] == 0 and counts["XPASS"] == 0


# --- checks ----------------------------------------------------------------------------------
def ok(replies, want_warn=False):
    """A write's ApiCallRc list: no error; returns the messages."""
    assert replies, "empty answer"
    errors = [r for r in replies if isinstance(r, linstor.ApiCallResponse) and r.is_error()]
    assert not errors, "; ".join(f"{r.ret_code}: {r.message}" for r in errors)
    if want_warn:
        assert any(r.is_warning() for r in replies), "expected a warning"
    return " / ".join(str(getattr(r, "message", "")) for r in replies)[:150]


def refused(replies, code, text=None):
    """A refusal: some entry is an error whose code bits equal `code`'s (and message has text)."""
    assert replies, "empty answer"
    errors = [r for r in replies if isinstance(r, linstor.ApiCallResponse) and r.is_error()]
    assert errors, "not refused: " + "; ".join(str(getattr(r, "message", r)) for r in replies)
    hits = [r for r in errors if r.ret_code & CODE_BITS == code & CODE_BITS]
    assert hits, f"want code {code & CODE_BITS}, got " + "; ".join(
        f"{r.ret_code & CODE_BITS} {r.message}" for r in errors)
    if text:
        assert text.lower() in hits[0].message.lower(), f"message {hits[0].message!r} lacks {text!r}"
    return f"{hits[0].ret_code}: {hits[0].message}"


def _warned(replies, code):
    """A warning, not an error: CtrlRscGrpApiCallHandler.delete answers WARN_NOT_FOUND."""
    assert replies and not any(r.is_error() for r in replies), f"{[r.message for r in replies]}"
    hits = [r for r in replies if r.is_warning() and r.ret_code & CODE_BITS == code & CODE_BITS]
    assert hits, f"want warning {code & CODE_BITS}: " + "; ".join(
        f"{r.ret_code & CODE_BITS} {r.message}" for r in replies)
    return f"{hits[0].ret_code}: {hits[0].message}"


def listed(replies, cls):
    assert replies and isinstance(replies[0], cls), f"want {cls.__name__}, got {replies!r}"[:200]
    return replies[0]


def both_versions(obj):
    """What `linstor -m --output-version v0|v1` prints: json.dumps of data_v0 / data_v1."""
    v0 = json.dumps(obj.data_v0)
    v1 = json.dumps(obj.data_v1)
    return f"v0 {len(v0)} B, v1 {len(v1)} B"


R = linstor.responses
NEW_NODE = "pyl-node"
RD = "pyl-rd"
RG = "pyl-rg"


def controller_calls(s, api):
    s.run("controller_version", lambda: f"{api.controller_version().rest_api_version}")
    s.run("controller_info", lambda: str(api.controller_info())[:80])
    s.run("controller_set_prop", lambda: ok(api.controller_set_prop("Aux/pyl", "1")))

    def props():
        got = _ctrl_props(api)
        assert got.get("Aux/pyl") == "1", f"Aux/pyl missing in {got}"
        return f"{len(got)} props"
    s.run("controller_props", props)

    def del_prop():
        ok(api.controller_del_prop("Aux/pyl"))
        assert "Aux/pyl" not in _ctrl_props(api), "still set"
    s.run("controller_del_prop", del_prop)


def _ctrl_props(api):
    """controller_props() answers [ControllerProperties]."""
    return api.controller_props()[0].properties


def node_calls(s, api):
    def node_list():
        nodes = listed(api.node_list(), R.NodeListResponse).nodes
        assert [n.name for n in nodes][:5] == [f"node-{i}" for i in range(1, 6)], [n.name for n in nodes]
        return both_versions(api.node_list()[0])
    s.run("node_list (v0+v1)", node_list)
    s.run("node_list filter_by_nodes", lambda: _names_are(
        api.node_list(filter_by_nodes=["node-2", "NODE-4"])[0].nodes, ["node-2", "node-4"]))
    s.run("node_create", lambda: ok(api.node_create(NEW_NODE, "SATELLITE", "10.0.9.1")))
    s.run("node_create duplicate", lambda: refused(
        api.node_create(NEW_NODE, "SATELLITE", "10.0.9.2"), rc.FAIL_EXISTS_NODE))
    s.run("node_create invalid name", lambda: refused(
        api.node_create("-bad", "SATELLITE", "10.0.9.3"), rc.FAIL_INVLD_NODE_NAME))
    s.run("node_modify props", lambda: ok(api.node_modify(NEW_NODE, property_dict={"Aux/site": "a"})))
    s.run("node_list filter_by_props", lambda: _names_are(
        api.node_list(filter_by_props=["Aux/site=a"])[0].nodes, [NEW_NODE]))

    def node_unset():
        ok(api.node_modify(NEW_NODE, delete_props=["Aux/site"]))
        return _names_are(api.node_list(filter_by_props=["Aux/site"])[0].nodes, [])
    s.run("node_modify delete_props", node_unset)
    s.run("node_list_raise", lambda: f"{len(api.node_list_raise().nodes)} nodes")
    s.run("node_modify missing", lambda: refused(
        api.node_modify("nope", property_dict={"Aux/x": "1"}), rc.FAIL_NOT_FOUND_NODE))
    s.run("node_delete missing", lambda: refused(api.node_delete("nope"), rc.FAIL_NOT_FOUND_NODE))


def _names_are(objects, want):
    got = [o.name for o in objects]
    assert got == want, f"got {got}, want {want}"
    return f"{got}"


def pool_calls(s, api):
    def pool_list():
        pools = listed(api.storage_pool_list(), R.StoragePoolListResponse).storage_pools
        for p in pools:
            if not p.is_diskless():
                assert p.free_space.free_capacity <= p.free_space.total_capacity, p.data_v1
        return f"{len(pools)} pools; " + both_versions(api.storage_pool_list()[0])
    s.run("storage_pool_list (v0+v1)", pool_list)
    s.run("storage_pool_list filter_by_nodes", lambda: _pool_nodes(
        api.storage_pool_list(filter_by_nodes=["node-3"]), {"node-3"}))
    s.run("storage_pool_list_raise filter_by_stor_pools", lambda: _pool_count(
        api.storage_pool_list_raise(filter_by_stor_pools=["pool1"]).storage_pools, 5))
    s.run("storage_pool_create", lambda: ok(
        api.storage_pool_create(NEW_NODE, "pool1", "LVM_THIN", "vg/thin")))
    s.run("storage_pool_create duplicate", lambda: refused(
        api.storage_pool_create(NEW_NODE, "pool1", "LVM_THIN", "vg/thin"), rc.FAIL_EXISTS_STOR_POOL))
    s.run("storage_pool_create missing node", lambda: refused(
        api.storage_pool_create("nope", "pool1", "LVM_THIN", "vg/thin"), rc.FAIL_NOT_FOUND_NODE))
    s.run("storage_pool_modify props", lambda: _pool_prop(api))
    s.run("storage_pool_modify missing pool", lambda: refused(
        api.storage_pool_modify(NEW_NODE, "nopool", {"Aux/tier": "x"}), rc.FAIL_NOT_FOUND_STOR_POOL))


def _pool_prop(api):
    ok(api.storage_pool_modify(NEW_NODE, "pool1", {"Aux/tier": "fast"}))
    return _pool_nodes(api.storage_pool_list(filter_by_props=["Aux/tier=fast"]), {NEW_NODE})


def _pool_nodes(replies, want):
    got = {p.node_name for p in replies[0].storage_pools}
    assert got == want, f"pools on {got}"
    return f"{len(replies[0].storage_pools)} pools"


def _pool_count(pools, want):
    assert len(pools) == want, f"{len(pools)} pools, want {want}"
    return f"{want} pools"


def rd_calls(s, api):
    def rd_list():
        rds = listed(api.resource_dfn_list(), R.ResourceDefinitionResponse).resource_definitions
        assert len(rds) == 20, f"{len(rds)} RDs"
        assert all(rd.volume_definitions for rd in rds), "with_volume_definitions lost"
        return both_versions(api.resource_dfn_list()[0])
    s.run("resource_dfn_list (v0+v1)", rd_list)
    s.run("resource_dfn_list_raise no vds", lambda: _count(
        api.resource_dfn_list_raise(query_volume_definitions=False).resource_definitions, 20))
    s.run("resource_dfn_create", lambda: ok(api.resource_dfn_create(RD, resource_group="rg1")))
    s.run("resource_dfn_create duplicate", lambda: refused(
        api.resource_dfn_create(RD), rc.FAIL_EXISTS_RSC_DFN))
    s.run("resource_dfn_create one-char name", lambda: refused(
        api.resource_dfn_create("X"), rc.FAIL_INVLD_RSC_NAME))
    s.run("resource_dfn_list filter", lambda: _names_are(api.resource_dfn_list(
        filter_by_resource_definitions=[RD.upper()])[0].resource_definitions, [RD]))
    s.run("resource_dfn_modify props", lambda: ok(api.resource_dfn_modify(RD, {"Aux/app": "db"})))
    s.run("resource_dfn_props_list", lambda: _has(api.resource_dfn_props_list(RD), "Aux/app", "db"))
    s.run("resource_dfn_modify delete_props", lambda: ok(
        api.resource_dfn_modify(RD, {}, delete_props=["Aux/app"])))
    s.run("resource_dfn_modify missing", lambda: refused(
        api.resource_dfn_modify("pyl-none", {"Aux/x": "1"}), rc.FAIL_NOT_FOUND_RSC_DFN))
    s.run("resource_dfn_modify unknown group", lambda: refused(
        api.resource_dfn_modify(RD, {}, resource_group="no-such-rg"), rc.FAIL_NOT_FOUND_RSC_GRP))
    s.run("resource_dfn_delete missing", lambda: refused(
        api.resource_dfn_delete("pyl-none"), rc.FAIL_NOT_FOUND_RSC_DFN))


def _count(objects, want):
    assert len(objects) == want, f"{len(objects)}, want {want}"
    return f"{want}"


def _has(props, key, value):
    assert props.get(key) == value, f"{key} not {value} in {props}"
    return f"{key}={value}"


def vd_calls(s, api):
    s.run("volume_dfn_create", lambda: ok(api.volume_dfn_create(RD, 102400)))
    s.run("volume_dfn_create second", lambda: ok(api.volume_dfn_create(RD, 20480, volume_nr=1)))
    s.run("volume_dfn_create duplicate nr", lambda: refused(
        api.volume_dfn_create(RD, 20480, volume_nr=1), rc.FAIL_EXISTS_VLM_DFN))
    s.run("volume_dfn_create missing rd", lambda: refused(
        api.volume_dfn_create("pyl-none", 20480), rc.FAIL_NOT_FOUND_RSC_DFN))
    s.run("volume_dfn_modify props", lambda: ok(
        api.volume_dfn_modify(RD, 0, set_properties={"Aux/v": "1"})))
    s.run("volume_dfn_modify size", lambda: ok(api.volume_dfn_modify(RD, 1, size=40960)))

    def vd_sizes():
        rd = api.resource_dfn_list(filter_by_resource_definitions=[RD])[0].resource_definitions[0]
        sizes = {v.number: v.size for v in rd.volume_definitions}
        assert sizes == {0: 102400, 1: 40960}, sizes
        return f"{sizes}"
    s.run("resource_dfn_list volume sizes", vd_sizes)
    s.run("volume_dfn_delete", lambda: ok(api.volume_dfn_delete(RD, 1)))
    s.run("volume_dfn_delete missing", lambda: refused(
        api.volume_dfn_delete(RD, 7), rc.FAIL_NOT_FOUND_VLM_DFN))


def fresh(api, name, size=10240):
    ok(api.resource_dfn_create(name))
    ok(api.volume_dfn_create(name, size))


def placed(api, name):
    """{node: diskless?} of the resource's replicas (not flagged DELETE)."""
    rscs = api.resource_list(filter_by_resources=[name])[0].resources
    return {r.node_name: "DISKLESS" in r.flags or "DRBD_DISKLESS" in r.flags
            for r in rscs if "DELETE" not in r.flags}


def resource_calls(s, api):
    Data = linstor.ResourceData
    s.run("resource_create", lambda: ok(api.resource_create([Data("node-1", RD, storage_pool="pool1")])))
    s.run("resource_create duplicate", lambda: refused(
        api.resource_create([Data("node-1", RD, storage_pool="pool1")]), rc.FAIL_EXISTS_RSC))
    s.run("resource_create missing node", lambda: refused(
        api.resource_create([Data("nope", RD)]), rc.FAIL_NOT_FOUND_NODE))
    s.run("resource_create missing pool", lambda: refused(
        api.resource_create([Data("node-2", RD, storage_pool="nopool")]), rc.FAIL_NOT_FOUND_STOR_POOL))
    s.run("resource_create diskless", lambda: ok(api.resource_create([Data("node-2", RD, diskless=True)])))
    s.run("resource_modify props", lambda: ok(api.resource_modify("node-1", RD, {"Aux/r": "1"})))
    s.run("resource_list filter_by_props", lambda: _rsc_nodes(
        api.resource_list(filter_by_props=["Aux/r=1"]), {"node-1"}))
    s.run("resource_auto_place", lambda: _auto(api, "pyl-ap1", {"place_count": 2}, 2))
    s.run("resource_auto_place storage_pool", lambda: _auto(
        api, "pyl-ap2", {"place_count": 3, "storage_pool": "pool1"}, 3))
    s.run("resource_auto_place do_not_place_with", lambda: _auto(
        api, "pyl-ap3", {"place_count": 2, "do_not_place_with": ["pyl-ap1"]}, 2, avoid="pyl-ap1"))
    s.run("resource_auto_place diskless_on_remaining", lambda: _auto(
        api, "pyl-ap4", {"place_count": 2, "diskless_on_remaining": True}, 2,
        total=len(api.node_list()[0].nodes)))
    s.run("resource_auto_place additional_place_count", lambda: _more(api, "pyl-ap2", 4))
    s.run("resource_auto_place too many", lambda: _too_many(api))
    s.run("resource_create_and_auto_place", lambda: _cap(api))
    s.run("resource_toggle_disk diskful", lambda: _toggle(api, False))
    s.run("resource_toggle_disk diskless", lambda: _toggle(api, True))
    s.run("resource_make_available", lambda: _available(api, "node-4", False))
    s.run("resource_make_available diskful", lambda: _available(api, "node-5", True))
    s.run("resource_delete_if_diskless", lambda: _delete_diskless(api))
    s.run("resource_delete", lambda: ok(api.resource_delete("node-5", RD)))
    s.run("resource_delete missing", lambda: refused(
        api.resource_delete("node-3", "pyl-ap1" if "node-3" not in placed(api, "pyl-ap1")
                            else "pyl-ap4x"), rc.FAIL_NOT_FOUND_RSC))
    s.run("resource_dfn_sync_status", lambda: str(api.resource_dfn_sync_status(RD))[:80])


def _rsc_nodes(replies, want):
    got = {r.node_name for r in replies[0].resources}
    assert got == want, f"on {got}"
    return f"{got}"


def _auto(api, name, args, diskful, avoid=None, total=None):
    fresh(api, name)
    msg = ok(api.resource_auto_place(name, **args))
    got = placed(api, name)
    full = [n for n, dl in got.items() if not dl]
    assert len(full) == diskful, f"{len(full)} diskful in {got}"
    if avoid:
        clash = set(full) & set(placed(api, avoid))
        assert not clash, f"placed with {avoid} on {clash}"
    if total:
        assert len(got) == total, f"{len(got)} replicas, want {total} (diskless on the rest)"
    return f"{got} {msg[:60]}"


def _more(api, name, diskful):
    ok(api.resource_auto_place(name, place_count=None, additional_place_count=1))
    full = [n for n, dl in placed(api, name).items() if not dl]
    assert len(full) == diskful, f"{len(full)} diskful"
    return f"{sorted(full)}"


def _too_many(api):
    fresh(api, "pyl-ap5")
    return refused(api.resource_auto_place("pyl-ap5", place_count=9), rc.FAIL_NOT_ENOUGH_NODES)


def _cap(api):
    ok(api.resource_create_and_auto_place("pyl-ap6", 8192, 2))
    return f"{placed(api, 'pyl-ap6')}"


def _toggle(api, diskless):
    """LINSTOR answers toggle-disk when the satellites are done (CtrlRscToggleDiskApiCallHandler),
    and so does the mock: right after the answer the replica has its new disk state and no
    DISK_* transition flag."""
    node = "node-1" if diskless else "node-2"
    ok(api.resource_toggle_disk(node, RD, storage_pool=None if diskless else "pool1",
                                diskless=diskless))
    flags = _flags(api, node)
    moving = [f for f in flags if f.startswith("DISK_")]
    assert ("DISKLESS" in flags) == diskless and not moving, f"not done when answered: {flags}"
    return f"{node} {flags}"


def _volume_modify(api):
    """CtrlVlmApiCallHandler.modifyVolume: props set on the volume, one MODIFIED entry."""
    replies = api.volume_modify("node-1", RD, 0, {"Aux/vol": "x"})
    ok(replies)
    vlms = api.volume_list(filter_by_nodes=["node-1"], filter_by_resources=[RD])[0].resources
    props = vlms[0].volumes[0].properties
    assert props.get("Aux/vol") == "x", f"{props}"
    ok(api.volume_modify("node-1", RD, 0, {}, delete_props=["Aux/vol"]))
    return replies[0].message


def _flags(api, node):
    rscs = api.resource_list(filter_by_resources=[RD], filter_by_nodes=[node])[0].resources
    assert len(rscs) == 1, f"{len(rscs)} resources on {node}"
    return list(rscs[0].flags)


def _available(api, node, diskful):
    ok(api.resource_make_available(node, RD, diskful=diskful))
    got = placed(api, RD)
    assert node in got and got[node] == (not diskful), f"{got}"
    return f"{got}"


def _delete_diskless(api):
    ok(api.resource_delete_if_diskless("node-4", RD))
    assert "node-4" not in placed(api, RD), f"{placed(api, RD)}"
    return "gone"


def volume_calls(s, api):
    def volume_list():
        rscs = listed(api.volume_list(), R.ResourceResponse).resources
        for r in rscs:  # what the CLI's v0 volume list reads by subscript
            for v in r.volumes:
                _ = (v.allocated_size, v.usable_size) if v.data_v0 is not None else None
        return f"{len(rscs)} resources; " + both_versions(api.volume_list()[0])
    s.run("volume_list (v0+v1)", volume_list)
    s.run("volume_list filter_by_nodes", lambda: _rsc_on(
        api.volume_list(filter_by_nodes=["node-3"])[0].resources, "node-3"))
    s.run("volume_list_raise filter_by_resources", lambda: _count(
        api.volume_list_raise(filter_by_resources=[RD]).resources,
        len(api.resource_list(filter_by_resources=[RD])[0].resources)))
    s.run("volume_modify props", lambda: _volume_modify(api))

    def rsc_list():
        rscs = listed(api.resource_list(), R.ResourceResponse)
        for r in rscs.resources:
            for v in r.volumes:  # linstor -m --output-version v0 resource list
                _ = v.data_v0, v.allocated_size, v.usable_size
        return f"{len(rscs.resources)} resources; " + both_versions(api.resource_list()[0])
    s.run("resource_list (v0+v1)", rsc_list)
    s.run("resource_list filter_by_nodes", lambda: _rsc_on(
        api.resource_list(filter_by_nodes=["node-2"])[0].resources, "node-2"))
    s.run("resource_list_raise", lambda: f"{len(api.resource_list_raise().resources)} resources")


def _rsc_on(rscs, node):
    assert rscs and all(r.node_name == node for r in rscs), f"{[r.node_name for r in rscs]}"
    return f"{len(rscs)} on {node}"


def group_calls(s, api):
    s.run("resource_group_list_raise", lambda: _names_are(
        api.resource_group_list_raise().resource_groups, ["DfltRscGrp", "rg1"]))
    s.run("resource_group_create", lambda: ok(
        api.resource_group_create(RG, description="pyl", place_count=2, storage_pool="pool1")))
    s.run("resource_group_create duplicate", lambda: refused(
        api.resource_group_create(RG), rc.FAIL_EXISTS_RSC_GRP))
    s.run("resource_group_modify place_count", lambda: _rg_modify(api))
    s.run("resource_group_modify props", lambda: ok(
        api.resource_group_modify(RG, property_dict={"Aux/g": "1"})))
    s.run("resource_group_modify missing", lambda: refused(
        api.resource_group_modify("no-such-rg", place_count=2), rc.FAIL_NOT_FOUND_RSC_GRP))
    s.run("volume_group_create", lambda: ok(api.volume_group_create(RG)))
    s.run("volume_group_create missing group", lambda: refused(
        api.volume_group_create("no-such-rg"), rc.FAIL_NOT_FOUND_RSC_GRP))
    s.run("volume_group_list_raise", lambda: _count(api.volume_group_list_raise(RG).volume_groups, 1))
    s.run("volume_group_modify props", lambda: _vg_prop(api))
    s.run("volume_group_modify missing", lambda: refused(
        api.volume_group_modify(RG, 5, {"Aux/vg": "1"}), rc.FAIL_NOT_FOUND_VLM_GRP))
    s.run("resource_group_spawn", lambda: _spawn(api, "pyl-sp1", {}, 3))
    s.run("resource_group_spawn place_count", lambda: _spawn(api, "pyl-sp2", {"place_count": 2}, 2))
    s.run("resource_group_spawn definitions_only", lambda: _spawn(
        api, "pyl-sp3", {"definitions_only": True}, 0))
    s.run("resource_group_spawn wrong size count", lambda: refused(api.resource_group_spawn(
        RG, "pyl-sp4", ["10MiB", "10MiB"]), rc.FAIL_INVLD_VLM_SIZES))
    s.run("resource_group_spawn partial", lambda: _spawn(
        api, "pyl-sp5", {"partial": True}, 3, sizes=["10MiB", "10MiB"]))
    s.run("resource_group_spawn missing group", lambda: refused(api.resource_group_spawn(
        "no-such-rg", "pyl-sp6", ["10MiB"]), rc.FAIL_NOT_FOUND_RSC_GRP))
    s.run("resource_dfn_modify resource_group", lambda: _rd_group(api))
    s.run("resource_group_delete in use", lambda: refused(
        api.resource_group_delete(RG), rc.FAIL_EXISTS_RSC_DFN, "existing resource definitions"))
    s.run("resource_group_delete missing", lambda: _warned(
        api.resource_group_delete("no-such-rg"), rc.WARN_NOT_FOUND))
    s.run("resource_group_delete", lambda: _rg_delete(api))


def _vg_prop(api):
    ok(api.volume_group_modify(RG, 0, {"Aux/vg": "1"}))
    vg = api.volume_group_list_raise(RG).volume_groups[0]
    assert vg.properties.get("Aux/vg") == "1", vg.data_v1
    return "Aux/vg=1"


def _rg_modify(api):
    ok(api.resource_group_modify(RG, place_count=3))
    rg = api.resource_group_list_raise(filter_by_resource_groups=[RG]).resource_groups[0]
    assert rg.select_filter.place_count == 3, rg.data_v1
    return "place_count 3"


def _spawn(api, name, args, diskful, sizes=("10MiB",)):
    ok(api.resource_group_spawn(RG, name, list(sizes), **args))
    rd = api.resource_dfn_list(filter_by_resource_definitions=[name])[0].resource_definitions[0]
    assert rd.resource_group_name == RG, rd.data_v1
    assert len(rd.volume_definitions) == len(sizes), f"{len(rd.volume_definitions)} VDs"
    full = [n for n, dl in placed(api, name).items() if not dl]
    assert len(full) == diskful, f"{len(full)} diskful: {placed(api, name)}"
    return f"{sorted(full)}"


def _rd_group(api):
    ok(api.resource_dfn_modify("pyl-ap5", {}, resource_group=RG))
    rd = api.resource_dfn_list(filter_by_resource_definitions=["pyl-ap5"])[0].resource_definitions[0]
    assert rd.resource_group_name == RG, rd.data_v1
    return RG


def _rg_delete(api):
    ok(api.resource_group_create("pyl-empty"))
    ok(api.resource_group_delete("pyl-empty"))
    names = [g.name for g in api.resource_group_list_raise().resource_groups]
    assert "pyl-empty" not in names, names
    return f"{names}"


def cleanup_calls(s, api):
    s.run("resource_dfn_delete", lambda: _rd_delete(api, "pyl-ap6"))
    s.run("node_delete", lambda: _node_delete(api))


def _rd_delete(api, name):
    """LINSTOR answers "... marked for deletion." first and "... deleted." once the satellites
    removed the resources and the data (CtrlRscDfnDeleteApiCallHandler); the REST call returns
    then, so the RD is gone right after."""
    replies = api.resource_dfn_delete(name)
    ok(replies)
    texts = [r.message for r in replies]
    assert any(t.endswith("marked for deletion.") for t in texts), f"{texts}"
    assert texts[-1] == f"Resource definition '{name}' deleted.", f"{texts}"
    left = api.resource_dfn_list(filter_by_resource_definitions=[name])[0].resource_definitions
    assert not left, f"{name} still listed: {[r.flags for r in left]}"
    return texts[-1]


def _node_delete(api):
    ok(api.node_delete(NEW_NODE))
    left = [n for n in api.node_list(filter_by_nodes=[NEW_NODE])[0].nodes if "DELETE" not in n.flags]
    assert not left, "node still there unflagged"
    return "deleted"


def consistent(api):
    """The world as one whole: every resource's node and RD exist, every replica has one volume
    per volume definition, the views agree with the per-RD lists, pools never overbooked."""
    nodes = {n.name for n in api.node_list()[0].nodes}
    rds = {rd.name: rd for rd in api.resource_dfn_list()[0].resource_definitions}
    view = api.resource_list()[0].resources
    for r in view:
        assert r.node_name in nodes, f"{r.name} on unknown node {r.node_name}"
        assert r.name in rds, f"resource {r.name} without definition"
        vds = {v.number for v in rds[r.name].volume_definitions}
        vols = {v.number for v in r.volumes}
        assert vols == vds or "DELETE" in r.flags, f"{r.name}@{r.node_name}: vols {vols} vds {vds}"
    for name in ("pyl-rd", "pyl-ap2", "pyl-sp1"):
        per_rd = {r.node_name for r in api.resource_list(filter_by_resources=[name])[0].resources}
        assert per_rd == {r.node_name for r in view if r.name == name}, f"{name}: views disagree"
    for p in api.storage_pool_list()[0].storage_pools:
        if not p.is_diskless() and p.free_space:
            assert 0 <= p.free_space.free_capacity <= p.free_space.total_capacity, p.data_v1
    return f"{len(nodes)} nodes, {len(rds)} RDs, {len(view)} resources consistent"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    api = linstor.Linstor(sys.argv[1].replace("http://", "linstor://"), timeout=30)
    api.connect()
    s = Suite(api)
    for area in (controller_calls, node_calls, pool_calls, rd_calls, vd_calls, resource_calls,
                 volume_calls, group_calls, cleanup_calls):
        area(s, api)
    s.run("world consistent", lambda: consistent(api))
    distinct = {name.split(" ")[0] for name, _, _ in s.rows if name != "world consistent"}
    print(f"{len(distinct)} distinct python-linstor methods ({linstor.version.VERSION})")
    sys.exit(0 if s.report() else 1)


if __name__ == "__main__":
    main()
