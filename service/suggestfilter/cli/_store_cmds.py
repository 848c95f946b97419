"""``suggestfilter policy|terms|reports``: the safety team's commands.

Every command works on a local store (``--db PATH``, default
``./suggestfilter.db``, or a ``postgresql://`` DSN) or on a running admin API
(``--target HOST:PORT``, bearer token from ``$SUGGESTFILTER_TOKEN`` or the
variable ``--token-env`` names). Both go through the same operations
(:class:`suggestfilter.admin._ops.AdminOps`, or its remote mirror), so they
behave alike. Changes accumulate in the one open draft until ``terms
publish``.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from suggestfilter._errors import AuthError, InvalidInputError, NotFoundError, PolicyError
from suggestfilter._model import EntryKind, MatchMode, SuggestionKind, TermEntry, Verdict
from suggestfilter.admin._ops import (
    AdminOps,
    ChangeResult,
    DryRunItem,
    Sample,
    parse_samples,
)
from suggestfilter.lists._policyfile import format_policy_toml, parse_policy_toml
from suggestfilter.lists._termfile import format_terms_csv, parse_term_file
from suggestfilter.store import (
    DEFAULT_LOCATION,
    ReportStatus,
    VersionInfo,
    is_postgres_location,
    open_store,
)

DEFAULT_TOKEN_ENV = "SUGGESTFILTER_TOKEN"

if TYPE_CHECKING:
    _Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


# --- connecting -----------------------------------------------------------------


_MAX_NUMBER = 2**63 - 1


def _number(text: str) -> int:
    """A version number or count on the command line: a whole number from 1 to 2**63-1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= _MAX_NUMBER:
        raise argparse.ArgumentTypeError(f"must be between 1 and {_MAX_NUMBER}: {text}")
    return value


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_admin(args: argparse.Namespace, *, create: bool = False) -> AdminOps:
    """The operations for a command: the admin API at ``--target``, else the local store.

    The remote client (``suggestfilter.admin._client.RemoteAdmin``) has the
    same methods and signatures as AdminOps. The actor of local commands is
    ``--actor``, else the login name (``$USER``, ``$LOGNAME``, the account);
    the admin API takes it from the token. A local SQLite store is created
    only when ``create`` is true (``policy import``): any other command on a
    path with no store fails rather than make an empty one from a typo.
    """
    if args.target and args.db:
        raise InvalidInputError("--db", "give --db or --target, not both")
    if args.target:
        try:
            from suggestfilter.admin._client import RemoteAdmin
        except ImportError as error:
            raise InvalidInputError(
                "--target", f"the admin API client is not available ({error})"
            ) from None
        token = os.environ.get(args.token_env, "")
        if not token:
            raise AuthError(
                f"no admin token: set ${args.token_env} (or name another variable with --token-env)"
            )
        remote = RemoteAdmin(
            args.target,
            token,
            tls=args.tls,
            tls_ca=args.tls_ca,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
        )
        return cast(AdminOps, remote)
    location = args.db or DEFAULT_LOCATION
    if not create and not is_postgres_location(location) and not Path(location).exists():
        raise NotFoundError(
            f"no store at {location}: create one with "
            f"`suggestfilter policy import --db {location} POLICY.toml`"
        )
    actor = args.actor or _default_actor()
    return AdminOps(open_store(location), actor=actor)


@contextmanager
def _admin(args: argparse.Namespace, *, create: bool = False) -> Iterator[AdminOps]:
    admin = open_admin(args, create=create)
    try:
        yield admin
    finally:
        admin.close()


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("store")
    where.add_argument(
        "--db",
        metavar="PATH",
        help=f"local store: SQLite file or postgresql:// DSN (default ./{DEFAULT_LOCATION})",
    )
    where.add_argument("--target", metavar="HOST:PORT", help="admin API to use instead of --db")
    where.add_argument(
        "--token-env",
        metavar="NAME",
        default=DEFAULT_TOKEN_ENV,
        help=f"environment variable holding the admin token (default {DEFAULT_TOKEN_ENV})",
    )
    where.add_argument("--tls", action="store_true", help="use TLS to reach --target")
    where.add_argument("--tls-ca", metavar="PEM", help="CA certificates for --target")
    where.add_argument("--tls-cert", metavar="PEM", help="client certificate (mutual TLS)")
    where.add_argument("--tls-key", metavar="PEM", help="client private key (mutual TLS)")
    where.add_argument("--actor", help="who acts, for the audit log (default $USER; --db only)")
    return common


# --- output -------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _print_json(value: Any) -> None:
    json.dump(_jsonable(value), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    for row in [list(headers), *cells]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _dash(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def _verdict(verdict: Verdict) -> str:
    text = verdict.action.name.lower()
    return f"{text} ({verdict.category}, {verdict.rule_id})" if verdict.category else text


def _entry_line(entry: TermEntry) -> str:
    flags = [entry.category, entry.kind.value, entry.match.value]
    if entry.locale:
        flags.append(entry.locale)
    return f"{entry.rule_id}  {entry.term!r}  [{', '.join(flags)}]"


def _describe_change(result: ChangeResult) -> str:
    return (
        f"draft version {result.version.number}: {result.summary()}; "
        f"{result.version.term_count} entries"
    )


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    """stdout, or a new owner-only file (term lists are sensitive)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
        yield stream


class _Progress:
    """Prints ``<label>: NN%`` on stderr about every 10% of a large job."""

    MIN_TOTAL = 10_000

    def __init__(self, label: str) -> None:
        self._label = label
        self._next = 10

    def __call__(self, done: int, total: int) -> None:
        if total < self.MIN_TOTAL:
            return
        percent = done * 100 // total
        if percent >= self._next:
            print(f"{self._label}: {percent}%", file=sys.stderr, flush=True)
            self._next = (percent // 10 + 1) * 10


# --- policy -------------------------------------------------------------------------


def _policy_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise PolicyError(f"{path}: cannot read: {reason}") from None
    policy = parse_policy_toml(text, source=str(path))
    with _admin(args, create=True) as admin:
        result = admin.import_policy(policy, reason=args.reason or f"policy import {path.name}")
    print(f"{_describe_change(result)}; {len(policy.categories)} categories in the policy")
    return 0


def _policy_export(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        policy = admin.policy(args.version)
    with _output(args.output) as stream:
        stream.write(format_policy_toml(policy))
    return 0


# --- terms --------------------------------------------------------------------------


def _terms_import(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        known = admin.policy().categories.keys()
        if not known:
            raise PolicyError(
                "the store has no policy yet: run `suggestfilter policy import` first"
            )
        entries: list[TermEntry] = []
        for name in args.files:
            path = Path(name)
            entries.extend(
                parse_term_file(
                    path,
                    category=args.category,
                    locale=args.locale,
                    match=MatchMode(args.match) if args.match else None,
                    known_categories=known,
                    progress=_Progress(f"reading {path.name}"),
                )
            )
        if len(entries) >= _Progress.MIN_TOTAL:
            print(f"storing {len(entries)} entries", file=sys.stderr, flush=True)
        names = ", ".join(Path(name).name for name in args.files)
        result = admin.add_terms(entries, reason=args.reason or f"import {names}")
    print(_describe_change(result))
    return 0


def _terms_export(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        entries = admin.entries(args.version, category=args.category)
    with _output(args.output) as stream:
        stream.write(format_terms_csv(entries))
    return 0


def _terms_add(args: argparse.Namespace) -> int:
    entries = [
        TermEntry(
            term=term,
            category=args.category,
            match=MatchMode(args.match),
            locale=args.locale,
            kind=EntryKind.ALLOW if args.allow else EntryKind.BLOCK,
            note=args.note,
        )
        for term in args.terms
    ]
    with _admin(args) as admin:
        result = admin.add_terms(entries, reason=args.reason)
    print(_describe_change(result))
    return 0


def _terms_remove(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        result = admin.remove_terms(args.names, reason=args.reason)
    print(_describe_change(result))
    return 0


def _terms_diff(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        diff = admin.diff(args.from_version, args.to_version)
    if args.json:
        _print_json(diff)
        return 0
    print(f"from version {_dash(diff.from_version)} to version {diff.to_version}:")
    for entry in diff.added:
        print(f"+ {_entry_line(entry)}")
    for entry in diff.removed:
        print(f"- {_entry_line(entry)}")
    for change in diff.changed:
        print(f"~ {_entry_line(change.before)}  ->  {_entry_line(change.after)}")
    for policy_change in diff.policy_changes:
        verb = (
            "added"
            if policy_change.before is None
            else "removed"
            if policy_change.after is None
            else "changed"
        )
        print(f"policy: category {policy_change.category} {verb}")
    if not (diff.added or diff.removed or diff.changed or diff.policy_changes):
        print("no difference")
    return 0


def _terms_dry_run(args: argparse.Namespace) -> int:
    kind = SuggestionKind[args.kind.upper()]
    samples = [Sample(text, kind, args.locale) for text in args.texts]
    for name in args.file or ():
        samples.extend(parse_samples(Path(name).read_text(encoding="utf-8")))
    if not samples:
        raise InvalidInputError("suggestions", "give suggestions as arguments or with --file")
    with _admin(args) as admin:
        result = admin.dry_run(samples, version=args.version, against=args.against)
    if args.json:
        _print_json(result)
        return 0
    print(
        f"version {result.version} against {_dash(result.against)}: {result.total} suggestions, "
        f"{len(result.newly_blocked)} newly blocked, {len(result.newly_unblocked)} newly unblocked"
    )

    def show(title: str, items: Sequence[DryRunItem]) -> None:
        if items:
            print(f"{title}:")
            for item in items:
                print(f"  {item.sample.text!r}: {_verdict(item.before)} -> {_verdict(item.after)}")

    show("newly blocked", result.newly_blocked)
    show("newly unblocked", result.newly_unblocked)
    return 0


def _print_versions(versions: Sequence[VersionInfo]) -> None:
    _print_table(
        ["VERSION", "STATE", "BASE", "ENTRIES", "AUTHOR", "CREATED (UTC)", "CHECKSUM", "REASON"],
        [
            [
                v.number,
                v.state.value,
                _dash(v.base),
                v.term_count,
                v.author,
                _when(v.created_at),
                v.checksum[:12],
                v.reason,
            ]
            for v in versions
        ],
    )


def _terms_versions(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        versions = admin.versions()
    if args.json:
        _print_json(versions)
    elif versions:
        _print_versions(versions)
    else:
        print("no versions yet: import a policy first (suggestfilter policy import)")
    return 0


def _terms_publish(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        info = admin.publish(reason=args.reason, expected_draft=args.expect)
    print(f"published version {info.number} ({info.term_count} entries, {info.checksum[:12]})")
    return 0


def _terms_rollback(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        info = admin.rollback(args.version, reason=args.reason)
    print(f"rolled back: version {info.number} is published ({info.term_count} entries)")
    return 0


def _terms_discard(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        info = admin.discard_draft(reason=args.reason)
    print(f"discarded draft version {info.number}")
    return 0


def _terms_audit(args: argparse.Namespace) -> int:
    with _admin(args) as admin:
        records = admin.audit(limit=args.limit)
    if args.json:
        _print_json(records)
        return 0
    _print_table(
        ["ID", "AT (UTC)", "ACTOR", "ACTION", "VERSION", "REASON", "DETAIL"],
        [
            [r.id, _when(r.at), r.actor, r.action, _dash(r.version), r.reason, r.detail]
            for r in records
        ],
    )
    return 0


# --- reports --------------------------------------------------------------------------


def _reports_list(args: argparse.Namespace) -> int:
    status = None if args.all else ReportStatus.OPEN
    with _admin(args) as admin:
        groups = admin.report_groups(status=status, limit=args.limit)
    if args.json:
        _print_json(groups)
        return 0
    if not groups:
        print("no reports")
        return 0
    _print_table(
        ["GROUP", "STATUS", "COUNT", "REPORTERS", "KINDS", "LOCALES", "LAST (UTC)", "TEXT"],
        [
            [
                g.group_id,
                g.status.value,
                g.count,
                g.reporters,
                ",".join(k.name.lower() for k in g.kinds),
                ",".join(loc or "-" for loc in g.locales),
                _when(g.last_at),
                repr(g.text),
            ]
            for g in groups
        ],
    )
    return 0


def _reports_resolve(args: argparse.Namespace) -> int:
    decision = ReportStatus.DISMISSED if args.dismiss else ReportStatus.PROMOTED
    with _admin(args) as admin:
        info = admin.resolve_report(
            args.group,
            decision,
            reason=args.reason,
            category=args.promote,
            term=args.term,
            match=MatchMode(args.match),
            locale=args.locale,
        )
    if info is None:
        print(f"dismissed {args.group}")
    else:
        print(f"promoted {args.group} into draft version {info.number}")
    return 0


# --- registration -----------------------------------------------------------------------


def _leaf(
    group: _Subparsers,
    name: str,
    func: Callable[[argparse.Namespace], int],
    help_text: str,
    common: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=help_text, description=help_text, parents=[common])
    parser.set_defaults(func=func)
    return parser


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_match(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument(
        "--match",
        choices=[m.value for m in MatchMode],
        default=default,
        help="word (default): whole words only; substring: anywhere, even inside words",
    )


def register(subparsers: _Subparsers) -> None:
    """Register ``policy``, ``terms`` and ``reports``."""
    common = _common_options()

    policy = subparsers.add_parser("policy", help="import or export the category policy")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    parser = _leaf(
        policy_commands,
        "import",
        _policy_import,
        "replace the policy in the open draft with a TOML policy file",
        common,
    )
    parser.add_argument("file", metavar="POLICY.toml")
    parser.add_argument("--reason", default="", help="why, for the audit log")
    parser = _leaf(policy_commands, "export", _policy_export, "print a policy as TOML", common)
    parser.add_argument("--version", type=_number, help="version (default: draft, else published)")
    parser.add_argument("-o", "--output", help="write to this file (created 0600)")

    terms = subparsers.add_parser("terms", help="change, review, publish and roll back term lists")
    terms_commands = terms.add_subparsers(dest="terms_command", metavar="COMMAND", required=True)

    parser = _leaf(
        terms_commands, "import", _terms_import, "add term files to the open draft", common
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="CSV (*.csv) or plain text")
    parser.add_argument("--category", help="category of plain files and empty CSV cells")
    parser.add_argument("--locale", default="", help="language of the terms (default: global)")
    _add_match(parser, None)
    parser.add_argument("--reason", default="", help="why, for the audit log")

    parser = _leaf(terms_commands, "export", _terms_export, "print entries as CSV", common)
    parser.add_argument("--version", type=_number, help="version (default: draft, else published)")
    parser.add_argument("--category", help="only this category")
    parser.add_argument("-o", "--output", help="write to this file (created 0600)")

    parser = _leaf(terms_commands, "add", _terms_add, "add terms to the open draft", common)
    parser.add_argument("terms", nargs="+", metavar="TERM")
    parser.add_argument("--category", required=True)
    parser.add_argument("--locale", default="", help="language of the terms (default: global)")
    _add_match(parser, MatchMode.WORD.value)
    parser.add_argument("--allow", action="store_true", help="allowlist entries, not blocks")
    parser.add_argument("--note", default="", help="free-text note kept with the entries")
    parser.add_argument("--reason", default="", help="why, for the audit log")

    parser = _leaf(
        terms_commands, "remove", _terms_remove, "remove entries from the open draft", common
    )
    parser.add_argument("names", nargs="+", metavar="RULE_ID_OR_TERM")
    parser.add_argument("--reason", default="", help="why, for the audit log")

    parser = _leaf(terms_commands, "diff", _terms_diff, "compare two versions", common)
    parser.add_argument(
        "--from", dest="from_version", type=_number, help="default: the published version"
    )
    parser.add_argument(
        "--to", dest="to_version", type=_number, help="default: the draft, else published"
    )
    _add_json(parser)

    parser = _leaf(
        terms_commands,
        "dry-run",
        _terms_dry_run,
        "show which suggestions the draft would newly block or unblock",
        common,
    )
    parser.add_argument("texts", nargs="*", metavar="SUGGESTION")
    parser.add_argument(
        "--file",
        action="append",
        metavar="FILE",
        help="suggestions, one per line: TEXT[<TAB>KIND[<TAB>LOCALE]]",
    )
    parser.add_argument(
        "--kind",
        choices=[k.name.lower() for k in SuggestionKind],
        default="unspecified",
        help="kind of the SUGGESTION arguments",
    )
    parser.add_argument("--locale", default="", help="locale of the SUGGESTION arguments")
    parser.add_argument("--version", type=_number, help="version to try (default: the open draft)")
    parser.add_argument("--against", type=_number, help="compare with (default: published)")
    _add_json(parser)

    parser = _leaf(terms_commands, "versions", _terms_versions, "list versions", common)
    _add_json(parser)

    parser = _leaf(terms_commands, "publish", _terms_publish, "publish the open draft", common)
    parser.add_argument("--reason", default="", help="why, for the audit log")
    parser.add_argument(
        "--expect", type=_number, metavar="VERSION", help="refuse unless this is the open draft"
    )

    parser = _leaf(
        terms_commands, "rollback", _terms_rollback, "publish an earlier version again", common
    )
    parser.add_argument("version", type=_number, metavar="VERSION")
    parser.add_argument("--reason", default="", help="why, for the audit log")

    parser = _leaf(
        terms_commands, "discard", _terms_discard, "close the open draft unpublished", common
    )
    parser.add_argument("--reason", default="", help="why, for the audit log")

    parser = _leaf(terms_commands, "audit", _terms_audit, "show the audit log", common)
    parser.add_argument("--limit", type=_number, default=100, help="newest records (default 100)")
    _add_json(parser)

    reports = subparsers.add_parser("reports", help="review user reports of suggestions")
    reports_commands = reports.add_subparsers(
        dest="reports_command", metavar="COMMAND", required=True
    )
    parser = _leaf(
        reports_commands, "list", _reports_list, "report groups, most reported first", common
    )
    parser.add_argument("--all", action="store_true", help="also resolved groups")
    parser.add_argument("--limit", type=_number, default=100)
    _add_json(parser)

    parser = _leaf(
        reports_commands, "resolve", _reports_resolve, "promote or dismiss a report group", common
    )
    parser.add_argument("group", metavar="GROUP_OR_REPORT_ID")
    decision = parser.add_mutually_exclusive_group(required=True)
    decision.add_argument(
        "--promote", metavar="CATEGORY", help="add the text as a block term of CATEGORY"
    )
    decision.add_argument("--dismiss", action="store_true", help="close the group, no term")
    parser.add_argument("--term", help="term to add (default: the reported text)")
    _add_match(parser, MatchMode.WORD.value)
    parser.add_argument("--locale", default="", help="language of the term (default: global)")
    parser.add_argument("--reason", default="", help="why, for the audit log")
