"""The protos pass buf lint, and the committed Python stubs match them."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from grpc_tools import protoc
from suggestfilter.v1 import filter_pb2

ROOT = Path(__file__).resolve().parent.parent
BUF = ROOT / "node_modules" / ".bin" / "buf"
PROTO_FILES = sorted((ROOT / "protos").rglob("*.proto"))


def test_buf_lint_passes() -> None:
    if not BUF.exists():
        pytest.fail("buf is not installed: run scripts/setup (npm ci)")
    result = subprocess.run(
        [str(BUF), "lint"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("proto", PROTO_FILES, ids=[p.name for p in PROTO_FILES])
def test_committed_stubs_match_protos(proto: Path, tmp_path: Path) -> None:
    relative = proto.relative_to(ROOT / "protos")
    module_name = ".".join(relative.with_suffix("").parts) + "_pb2"
    descriptor = importlib.import_module(module_name).DESCRIPTOR
    out = tmp_path / "set.pb"
    include = Path(protoc.__file__).parent / "_proto"
    status = protoc.main(
        [
            "protoc",
            f"-I{ROOT / 'protos'}",
            f"-I{include}",
            f"--descriptor_set_out={out}",
            str(ROOT / "protos" / descriptor.name),
        ]
    )
    assert status == 0
    fresh = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file[0]
    _drop_json_names(fresh)  # protoc adds them; the Python stubs leave them out
    committed = descriptor_pb2.FileDescriptorProto.FromString(descriptor.serialized_pb)
    assert committed == fresh, (
        f"service/suggestfilter/v1 stubs of {descriptor.name} are stale: run scripts/gen_protos"
    )


def _drop_json_names(file: descriptor_pb2.FileDescriptorProto) -> None:
    pending = list(file.message_type)
    while pending:
        message = pending.pop()
        for field in message.field:
            field.ClearField("json_name")
        pending.extend(message.nested_type)


def test_public_api_names_and_numbers() -> None:
    """The names and field numbers of DESIGN.md that clients depend on."""
    service = filter_pb2.DESCRIPTOR.services_by_name["SuggestionFilterService"]
    assert service.full_name == "suggestfilter.v1.SuggestionFilterService"
    assert {m.name for m in service.methods} >= {"Filter", "FilterSession", "Report"}
    session = service.methods_by_name["FilterSession"]
    assert session.client_streaming and session.server_streaming
    expected = {
        "Suggestion": {"text": 1, "kind": 2},
        "FilterRequest": {"query": 1, "suggestions": 2, "locale": 3},
        "Verdict": {"action": 1, "category": 2, "rule_id": 3},
        "Intervention": {"category": 1, "message": 2, "help_url": 3},
        "FilterResponse": {
            "allowed": 1,
            "verdicts": 2,
            "query_verdict": 3,
            "intervention": 4,
            "list_version": 5,
        },
        "ReportRequest": {"suggestion": 1, "locale": 2, "reason": 3, "reporter": 4},
        "ReportResponse": {"report_id": 1},
    }
    for message, fields in expected.items():
        descriptor = filter_pb2.DESCRIPTOR.message_types_by_name[message]
        for name, number in fields.items():
            assert descriptor.fields_by_name[name].number == number
    kinds = filter_pb2.DESCRIPTOR.enum_types_by_name["SuggestionKind"]
    assert {v.name: v.number for v in kinds.values} == {
        "SUGGESTION_KIND_UNSPECIFIED": 0,
        "SUGGESTION_KIND_QUERY": 1,
        "SUGGESTION_KIND_HASHTAG": 2,
        "SUGGESTION_KIND_ACCOUNT": 3,
    }
    actions = filter_pb2.DESCRIPTOR.enum_types_by_name["Action"]
    assert {v.name: v.number for v in actions.values} == {
        "ACTION_UNSPECIFIED": 0,
        "ACTION_ALLOW": 1,
        "ACTION_BLOCK": 2,
        "ACTION_INTERVENE": 3,
    }
