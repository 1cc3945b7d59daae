"""X API v2's contract for the endpoints Heedful uses, taken from X's own SDK (`xdk`, generated
from X's OpenAPI specification), for the loopback X test server to hold every request and
every answer to.

What the SDK carries is read from it, not restated here: each endpoint's query parameters
(names, whether required, types, and the allowed values of every `*.fields`, `expansions` and
`event_types` list) come from the signature of the SDK method for that endpoint, and request
bodies and answers are checked against the SDK's Pydantic models of the specification's
schemas. Checking is strict: a string where the schema says integer fails, and so does a
field the schema does not have (the models themselves let unknown fields through), so a name
from an older API version (`tweet.fields`, `referenced_tweets`, `includes.tweets`) is caught.

What the SDK drops (bounds such as `max_results` 5–100 and the id patterns) is written out in
`_BOUNDS`, transcribed from the specification; `tests/test_x_contract.py` compares them with
the specification itself when a copy is at hand.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel
from xdk import schemas
from xdk.direct_messages.client import DirectMessagesClient
from xdk.posts.client import PostsClient
from xdk.users.client import UsersClient

# The SDK's Python names of the list parameters, and their names in a query string.
_QUERY_NAMES = {
    "post_fields": "post.fields",
    "user_fields": "user.fields",
    "media_fields": "media.fields",
    "poll_fields": "poll.fields",
    "place_fields": "place.fields",
    "dm_event_fields": "dm_event.fields",
}

# Bounds the SDK's signatures do not carry, from the specification (operation → parameter →
# JSON-schema keywords). Path parameters are listed under their own names.
_ID = {"pattern": r"^[0-9]{1,19}$"}
_BOUNDS: dict[str, dict[str, dict[str, Any]]] = {
    "getUsersMe": {},
    "getUsersById": {"id": _ID},
    "getUsersByUsername": {"username": {"pattern": r"^[A-Za-z0-9_]{1,15}$"}},
    "getUsersMentions": {
        "id": _ID,
        "max_results": {"minimum": 5, "maximum": 100},
        "pagination_token": {"minLength": 1},
        "since_id": _ID,
        "until_id": _ID,
    },
    "getUsersPosts": {
        "id": _ID,
        "max_results": {"minimum": 5, "maximum": 100},
        "pagination_token": {"minLength": 1},
        "since_id": _ID,
        "until_id": _ID,
    },
    "createPosts": {},
    "getPostsById": {"id": _ID},
    "getPostsByIds": {},
    "searchPostsRecent": {
        "query": {"minLength": 1, "maxLength": 4096},
        "max_results": {"minimum": 10, "maximum": 100},
        "next_token": {"minLength": 1},
        "pagination_token": {"minLength": 1},
        "since_id": _ID,
        "until_id": _ID,
    },
    "getPostsQuotedPosts": {
        "id": _ID,
        "max_results": {"minimum": 10, "maximum": 100},
        "pagination_token": {"minLength": 1},
    },
    "getDirectMessagesEvents": {
        "max_results": {"minimum": 1, "maximum": 100},
        "pagination_token": {"minLength": 16},
    },
    "getDirectMessagesEventsByParticipantId": {
        "participant_id": _ID,
        "max_results": {"minimum": 1, "maximum": 100},
        "pagination_token": {"minLength": 16},
    },
    "getDirectMessagesEventsByConversationId": {
        "id": {"pattern": r"^([0-9]{1,19}-[0-9]{1,19}|[0-9]{15,19})$"},
        "max_results": {"minimum": 1, "maximum": 100},
        "pagination_token": {"minLength": 16},
    },
    "createDirectMessagesByParticipantId": {"participant_id": _ID},
    "deletePosts": {"id": _ID},
    "deleteDirectMessagesEvents": {"event_id": _ID},
}


@dataclass(frozen=True)
class Parameter:
    name: str  # as in the query string or path
    required: bool
    kind: Literal["int", "str", "list"]
    allowed: frozenset[str] | None = None  # list or string values, when enumerated
    bounds: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One endpoint: its path, parameters, body and answer, as X's SDK describes them."""

    operation_id: str
    method: str
    path: str  # with {placeholders}
    path_parameters: dict[str, Parameter]
    query_parameters: dict[str, Parameter]
    body: type[BaseModel] | None
    answer: type[BaseModel]
    success: int  # the status of a successful answer

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    # The SDK's modules import their typing names inside the module; resolve against both.
    module = inspect.getmodule(function)
    namespace = {**vars(typing), **(vars(module) if module else {})}
    return typing.get_type_hints(function, globalns=namespace)


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def _parameter(name: str, hint: Any, required: bool, bounds: Mapping[str, Any]) -> Parameter:
    inner, _optional = _unwrap_optional(hint)
    origin = get_origin(inner)
    if origin in (list, typing.List):  # noqa: UP006 - the SDK writes typing.List
        (item,) = get_args(inner)
        allowed = frozenset(get_args(item)) if get_origin(item) is Literal else None
        return Parameter(name, required, "list", allowed, bounds)
    if origin is Literal:
        return Parameter(name, required, "str", frozenset(get_args(inner)), bounds)
    if inner is int:
        return Parameter(name, required, "int", None, bounds)
    return Parameter(name, required, "str", None, bounds)


def _operation(
    operation_id: str, method: str, path: str, function: Callable[..., Any], success: int = 200
) -> Operation:
    hints = _hints(function)
    signature = inspect.signature(function)
    bounds = _BOUNDS[operation_id]
    in_path = set(re.findall(r"\{(\w+)\}", path))
    path_parameters: dict[str, Parameter] = {}
    query_parameters: dict[str, Parameter] = {}
    body: type[BaseModel] | None = None
    for name, parameter in signature.parameters.items():
        if name == "self":
            continue
        required = parameter.default is inspect.Parameter.empty
        if name == "body":
            body = hints[name]
            continue
        wire = _QUERY_NAMES.get(name, name)
        described = _parameter(wire, hints[name], required, bounds.get(wire, {}))
        (path_parameters if name in in_path else query_parameters)[wire] = described
    answer = hints["return"]
    if get_origin(answer) is not None:  # Iterator[Model]: the paginating methods
        (answer,) = get_args(answer)
    return Operation(
        operation_id, method, path, path_parameters, query_parameters, body, answer, success
    )


OPERATIONS: tuple[Operation, ...] = (
    _operation("getUsersMe", "GET", "/2/users/me", UsersClient.get_me),
    _operation(
        "getUsersByUsername",
        "GET",
        "/2/users/by/username/{username}",
        UsersClient.get_by_username,
    ),
    _operation("getUsersMentions", "GET", "/2/users/{id}/mentions", UsersClient.get_mentions),
    _operation("getUsersPosts", "GET", "/2/users/{id}/tweets", UsersClient.get_posts),
    _operation("getUsersById", "GET", "/2/users/{id}", UsersClient.get_by_id),
    _operation("createPosts", "POST", "/2/tweets", PostsClient.create, success=201),
    _operation("searchPostsRecent", "GET", "/2/tweets/search/recent", PostsClient.search_recent),
    _operation("getPostsQuotedPosts", "GET", "/2/tweets/{id}/quote_tweets", PostsClient.get_quoted),
    _operation("getPostsById", "GET", "/2/tweets/{id}", PostsClient.get_by_id),
    _operation("getPostsByIds", "GET", "/2/tweets", PostsClient.get_by_ids),
    _operation("getDirectMessagesEvents", "GET", "/2/dm_events", DirectMessagesClient.get_events),
    _operation(
        "getDirectMessagesEventsByParticipantId",
        "GET",
        "/2/dm_conversations/with/{participant_id}/dm_events",
        DirectMessagesClient.get_events_by_participant_id,
    ),
    _operation(
        "getDirectMessagesEventsByConversationId",
        "GET",
        "/2/dm_conversations/{id}/dm_events",
        DirectMessagesClient.get_events_by_conversation_id,
    ),
    _operation(
        "createDirectMessagesByParticipantId",
        "POST",
        "/2/dm_conversations/with/{participant_id}/messages",
        DirectMessagesClient.create_by_participant_id,
        success=201,
    ),
    # Only the live tests delete (what they posted on the real X).
    _operation("deletePosts", "DELETE", "/2/tweets/{id}", PostsClient.delete),
    _operation(
        "deleteDirectMessagesEvents",
        "DELETE",
        "/2/dm_events/{event_id}",
        DirectMessagesClient.delete_events,
    ),
)


def find_operation(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation a request is for, and its path parameters; None when X has none."""
    for operation in OPERATIONS:
        if operation.method != method:
            continue
        match = operation.pattern.match(path)
        if match:
            return operation, match.groupdict()
    return None


# --- checking values ---------------------------------------------------------------------------


def _check_bounds(name: str, value: str | int, bounds: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if isinstance(value, int):
        if "minimum" in bounds and value < bounds["minimum"]:
            problems.append(f"{name}={value} is below the minimum {bounds['minimum']}")
        if "maximum" in bounds and value > bounds["maximum"]:
            problems.append(f"{name}={value} is above the maximum {bounds['maximum']}")
        return problems
    if "minLength" in bounds and len(value) < bounds["minLength"]:
        problems.append(f"{name} is shorter than {bounds['minLength']}")
    if "maxLength" in bounds and len(value) > bounds["maxLength"]:
        problems.append(f"{name} is longer than {bounds['maxLength']}")
    if "pattern" in bounds and not re.search(bounds["pattern"], value):
        problems.append(f"{name}={value!r} does not match {bounds['pattern']}")
    return problems


def _check_value(parameter: Parameter, raw: str) -> list[str]:
    name = parameter.name
    if parameter.kind == "int":
        if not re.fullmatch(r"-?[0-9]+", raw):
            return [f"{name}={raw!r} is not an integer"]
        return _check_bounds(name, int(raw), parameter.bounds)
    if parameter.kind == "list":
        items = raw.split(",")
        problems = []
        if not raw or any(not item for item in items):
            problems.append(f"{name} has an empty item: {raw!r}")
        if len(set(items)) != len(items):
            problems.append(f"{name} repeats an item: {raw!r}")
        if parameter.allowed is not None:
            unknown = sorted(set(items) - parameter.allowed - {""})
            if unknown:
                problems.append(f"{name} has values X does not define: {unknown}")
        return problems
    if parameter.allowed is not None and raw not in parameter.allowed:
        return [f"{name}={raw!r} is not one of {sorted(parameter.allowed)}"]
    return _check_bounds(name, raw, parameter.bounds)


def check_request(
    operation: Operation,
    path_values: Mapping[str, str],
    query: Mapping[str, list[str]],
    body: Any,
    *,
    content_type: str | None,
) -> list[str]:
    """Every way this request breaks X's contract (empty when it keeps it)."""
    problems: list[str] = []
    for name, parameter in operation.path_parameters.items():
        problems += _check_value(parameter, path_values.get(name, ""))
    for name, values in query.items():
        parameter = operation.query_parameters.get(name)
        if parameter is None:
            problems.append(f"query parameter {name!r} is not one X defines for this endpoint")
            continue
        if len(values) > 1:
            problems.append(f"query parameter {name!r} given {len(values)} times")
        problems += _check_value(parameter, values[0])
    for name, parameter in operation.query_parameters.items():
        if parameter.required and name not in query:
            problems.append(f"required query parameter {name!r} is missing")
    for name in ("start_time", "end_time"):
        if name in query:
            try:
                datetime.fromisoformat(query[name][0].replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{name} is not an RFC 3339 date-time")
    if operation.body is None:
        if body is not None:
            problems.append("a body was sent to an endpoint that takes none")
        return problems
    if content_type is None or not content_type.startswith("application/json"):
        problems.append(f"the body must be application/json, not {content_type!r}")
    problems += check_model(operation.body, body, "request body")
    return problems


def check_answer(operation: Operation, status: int, payload: Any) -> list[str]:
    """Every way an answer breaks X's contract for this endpoint."""
    if status == operation.success:
        return check_model(operation.answer, payload, "answer")
    # Any other status is the specification's `default`: an Error (application/json).
    return check_model(schemas.Error, payload, f"{status} answer")


def check_model(model: type[BaseModel], payload: Any, what: str) -> list[str]:
    """`payload` against a schema model: strictly typed, and with no field it does not have."""
    try:
        parsed = model.model_validate(payload, strict=True)
    except pydantic.ValidationError as error:
        return [f"{what}: {line}" for line in _validation_lines(error)]
    return [f"{what}: {where} is not in X's schema" for where in _extra_fields(parsed, "")]


def _validation_lines(error: pydantic.ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in item['loc']) or '(top)'}: {item['msg']}"
        for item in error.errors()
    ]


def _extra_fields(value: Any, where: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, BaseModel):
        for name in value.model_extra or {}:
            found.append(f"{where}.{name}".lstrip("."))
        for name in type(value).model_fields:
            found += _extra_fields(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _extra_fields(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += _extra_fields(item, f"{where}.{key}")
    return found
