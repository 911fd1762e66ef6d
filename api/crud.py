"""The kit for a plain entity kind of an organisation: listed, read, created, changed and archived.

A plain kind is a model, its three schemas, a `PlainService` subclass naming them and a
`PlainKind` declaring its routes; `plain_controller(kind)` makes the controller:

    GET    {path}/               list: `q` searched in the service's `search` columns, `include_archived`, paged
    POST   {path}/               create (201)
    GET    {path}/{<id>:uuid}    read
    PATCH  {path}/{<id>:uuid}    change the fields sent
    POST   {path}/{<id>:uuid}/archive   archive (200)

each declaring its access (`read_role` for reading, `change_role` for changing) and named as
the rest of the API is (`subjects:list`, `ListSubjects`). Rows become responses through
`api.responses.response_of`, changes go through `api.records.Records` (audited as the caller).
A kind whose routes need more (other filters, members, a tree) writes its controller by hand with
the same pieces; `docs/new-entity-kind.md` walks through both.
"""

# No `from __future__ import annotations`: the handlers' annotations are built from the kind's
# types at run time, and Litestar reads them as objects.

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, TypeVar
from uuid import UUID

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import Select, or_, select

from api.access import Scope, access
from api.context import TenantContext
from api.db import escape_like
from api.paging import Page, Paging, paged, paging_by
from api.providers import on_context
from api.records import Records, changes
from api.responses import response_of

M = TypeVar("M")

Search = Annotated[str | None, Parameter(max_length=200, description="Search in names")]


@dataclass(frozen=True)
class PlainFilter:
    q: str | None = None
    include_archived: bool = False


class PlainService(Generic[M]):
    """The rules of one plain kind. A subclass sets `model`, `entity` (its name in the audit log),
    `what` (in messages), `order_by` and `search`, and overrides `new` / `check` where the kind has
    rules of its own. Changing needs `caller.require_shaper(shapes)`."""

    model: ClassVar[type]
    entity: ClassVar[str]
    what: ClassVar[str | None] = None
    order_by: ClassVar[Sequence[Any]] = ()
    search: ClassVar[Sequence[Any]] = ()
    shapes: ClassVar[str] = "change the structure"

    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session = context.session
        self.caller = context.caller
        self.records: Records[M] = Records(context, self.model, self.entity, self.what)

    def query(self, f: PlainFilter) -> Select[Any]:
        query = select(self.model).order_by(*self.order_by, self.model.id)  # type: ignore[attr-defined]
        if not f.include_archived:
            query = query.where(self.model.archived_at.is_(None))  # type: ignore[attr-defined]
        if f.q and self.search:
            like = f"%{escape_like(f.q)}%"
            query = query.where(or_(*(column.ilike(like) for column in self.search)))
        return query

    async def list(self, f: PlainFilter, paging: Paging) -> tuple[list[M], int]:
        return await paged(self.session, self.query(f), paging)

    async def get(self, id_: UUID) -> M:
        return await self.records.get(id_)

    async def new(self, data: msgspec.Struct) -> M:
        """The row a create body makes (by default, the body's fields as they are)."""
        return self.model(**msgspec.structs.asdict(data))

    async def check(self, row: M | None, values: dict[str, Any]) -> None:
        """Refuses a create (`row` None) or a change the kind's rules forbid; by default none."""

    async def create(self, data: msgspec.Struct) -> M:
        self.caller.require_shaper(self.shapes)
        await self.check(None, msgspec.structs.asdict(data))
        return await self.records.create(await self.new(data))

    async def update(self, id_: UUID, data: msgspec.Struct) -> M:
        self.caller.require_shaper(self.shapes)
        row = await self.records.live(id_)
        values = changes(data)
        await self.check(row, values)
        return await self.records.change(row, values)

    async def archive(self, id_: UUID) -> M:
        self.caller.require_shaper(self.shapes)
        return await self.records.archive(await self.get(id_))


@dataclass(frozen=True)
class PlainKind:
    """The routes of one plain kind, under the organisation's path."""

    service: type[PlainService[Any]]
    read: type[msgspec.Struct]
    create: type[msgspec.Struct]
    update: type[msgspec.Struct]
    path: str  # e.g. "/api/organisations/{organisation_id:uuid}/subjects"
    tag: str
    singular: str  # "Subject": operation ids GetSubject, CreateSubject...
    plural: str  # "Subjects": ListSubjects; lowercased, the route names' prefix (subjects:list)
    read_role: Any
    change_role: Any
    page_size: int = 50
    list_description: str | None = None

    @property
    def id_name(self) -> str:
        return f"{self.singular.lower()}_id"


def _handler(fn: Callable[..., Any], parameters: dict[str, Any], returns: Any) -> Callable[..., Any]:
    """Gives `fn` (which takes `self` and keyword arguments) the signature Litestar reads: it
    names each parameter, the path's id among them, by the kind."""
    signature = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, annotation in parameters.items():
        default = inspect.Parameter.empty
        if isinstance(annotation, tuple):
            annotation, default = annotation
        signature.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        )
    fn.__signature__ = inspect.Signature(signature, return_annotation=returns)  # type: ignore[attr-defined]
    fn.__annotations__ = {**{k: v[0] if isinstance(v, tuple) else v for k, v in parameters.items()}, "return": returns}
    return fn


def plain_controller(kind: PlainKind) -> type[Controller]:
    service_type, read, id_name = kind.service, kind.read, kind.id_name
    prefix = kind.plural.lower()
    item = f"/{{{id_name}:uuid}}"
    service = NamedDependency[service_type]  # type: ignore[valid-type]
    reading, changing = access(Scope.TENANT, kind.read_role), access(Scope.TENANT, kind.change_role)

    async def list_(self: Any, **kw: Any) -> Page[Any]:
        paging = kw["paging"]
        rows, total = await kw["service"].list(PlainFilter(kw["q"], kw["include_archived"]), paging)
        return Page.of([response_of(read, r) for r in rows], total, paging)

    async def create(self: Any, **kw: Any) -> Any:
        return response_of(read, await kw["service"].create(kw["data"]))

    async def detail(self: Any, **kw: Any) -> Any:
        return response_of(read, await kw["service"].get(kw[id_name]))

    async def update(self: Any, **kw: Any) -> Any:
        return response_of(read, await kw["service"].update(kw[id_name], kw["data"]))

    async def archive(self: Any, **kw: Any) -> Any:
        return response_of(read, await kw["service"].archive(kw[id_name]))

    list_.__doc__ = kind.list_description
    listing = {
        "service": service,
        "paging": NamedDependency[Paging],
        "q": (Search, None),
        "include_archived": (FromQuery[bool], False),
    }
    by_id = {"service": service, id_name: FromPath[UUID]}
    handlers = {
        "list_all": get(
            "/",
            name=f"{prefix}:list",
            operation_id=f"List{kind.plural}",
            summary=f"List{kind.plural}",
            opt=reading,
            dependencies={"paging": paging_by(kind.page_size)},
        )(_handler(list_, listing, Page[read])),  # type: ignore[valid-type]
        "create": post("/", name=f"{prefix}:create", operation_id=f"Create{kind.singular}", opt=changing)(
            _handler(create, {"service": service, "data": JSONBody[kind.create]}, read)  # type: ignore[name-defined]
        ),
        "detail": get(item, name=f"{prefix}:detail", operation_id=f"Get{kind.singular}", opt=reading)(
            _handler(detail, by_id, read)
        ),
        "update": patch(item, name=f"{prefix}:update", operation_id=f"Update{kind.singular}", opt=changing)(
            _handler(update, {**by_id, "data": JSONBody[kind.update]}, read)  # type: ignore[name-defined]
        ),
        "archive": post(
            f"{item}/archive",
            name=f"{prefix}:archive",
            operation_id=f"Archive{kind.singular}",
            status_code=200,
            opt=changing,
        )(_handler(archive, by_id, read)),
    }
    return type(
        f"{kind.singular}Controller",
        (Controller,),
        {
            "path": kind.path,
            "tags": [kind.tag],
            "dependencies": {"service": on_context(service_type)},
            **handlers,
        },
    )
