"""A stand-in for Bluesky's chat service on loopback, checked against the chat lexicons.

Bluesky's chat service (`did:web:api.bsky.chat`) is not open source, so no real peer exists.
`BlueskyChatService` plays the two parts a client meets: the account's PDS, which passes a
request carrying `atproto-proxy: did:web:api.bsky.chat#bsky_chat` on to the chat service,
and the chat service itself. It sits in front of the dev-env PDS (`BlueskyPeer`): every
other request goes through to the PDS unchanged, except that the DID documents in session
answers name this front door as the account's PDS (as a PDS behind a reverse proxy does), so
an SDK client keeps coming back here.

Every chat request is checked against the lexicons as the atproto SDK generated them
(`atproto_client.models.chat.bsky.*`: parameters, input, no unknown fields) and so is every
answer before it leaves; a request that fails answers 400 `InvalidRequest`, an answer that
fails is a bug in this file (500, and `problems` lists it for the test to fail on).

What it does, as the real service is documented to:
- `listConvos`, `getMessages` (newest first), `getConvoForMembers`, `getConvoAvailability`,
  `sendMessage`; anything else answers 501 MethodNotImplemented.
- Who may message whom follows the recipient's `chat.bsky.actor.declaration` record
  (`allowIncoming`: all, none, following; no record: following, Bluesky's default), read
  from their repo on the PDS; once someone has written in a conversation, the other member
  may answer there.
- The PDS refuses chat calls made with a non-privileged app password's token: 400
  InvalidToken "Bad token method" (packages/pds/src/pipethrough.ts).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import requests
from atproto_client import models
from pydantic import BaseModel, ValidationError

from tests.peers.bluesky import BlueskyPeer, make_tid, now_iso

PROXY_HEADER = "atproto-proxy"
CHAT_SERVICE = "did:web:api.bsky.chat#bsky_chat"
PRIVILEGED_SCOPES = {"com.atproto.access", "com.atproto.appPassPrivileged"}
TIMEOUT = 10.0
_SESSION_ANSWERS = {
    "com.atproto.server.createSession",
    "com.atproto.server.refreshSession",
    "com.atproto.server.getSession",
}

Query = Callable[["_Caller", dict[str, Any]], dict[str, Any]]


class _Refused(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass
class Conversation:
    id: str
    members: tuple[str, str]
    rev: str
    messages: list[dict[str, Any]] = field(default_factory=list)  # oldest first


@dataclass(frozen=True)
class _Caller:
    did: str
    token: str


def _extras(model: Any, where: str = "") -> list[str]:
    """Fields a model was given that the lexicon does not define, anywhere inside it."""
    found: list[str] = []
    if isinstance(model, BaseModel):
        found += [f"{where}.{name}" for name in (model.model_extra or {})]
        for name in type(model).model_fields:
            found += _extras(getattr(model, name), f"{where}.{name}")
    elif isinstance(model, list):
        for index, item in enumerate(model):
            found += _extras(item, f"{where}[{index}]")
    return found


def _check(model_type: type[BaseModel], value: Any, *, strict: bool, what: str) -> Any:
    try:
        # The SDK checks string formats (DIDs, handles, datetimes) only when asked to.
        model = model_type.model_validate(
            value, strict=strict, context={"strict_string_format": True}
        )
    except ValidationError as error:
        raise _Refused(
            400, "InvalidRequest", f"{what} does not match the lexicon: {error}"
        ) from None
    if extra := _extras(model):
        raise _Refused(400, "InvalidRequest", f"{what} has fields the lexicon has not: {extra}")
    return model


class BlueskyChatService:
    """The front door: PDS pass-through, and the chat service behind its proxy header."""

    def __init__(self, peer: BlueskyPeer) -> None:
        self._peer = peer
        self._upstream = requests.Session()
        self._lock = threading.Lock()
        self._convos: dict[str, Conversation] = {}
        self._sessions: dict[str, str] = {}  # access token → did
        self._profiles: dict[str, dict[str, Any]] = {}
        self.problems: list[str] = []  # answers that failed the lexicon: bugs here
        self.calls: list[str] = []  # chat methods served, in order
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._methods: dict[str, tuple[str, Query]] = {
            "chat.bsky.convo.listConvos": ("GET", self._list_convos),
            "chat.bsky.convo.getMessages": ("GET", self._get_messages),
            "chat.bsky.convo.getConvoForMembers": ("GET", self._convo_for_members),
            "chat.bsky.convo.getConvoAvailability": ("GET", self._availability),
            "chat.bsky.convo.sendMessage": ("POST", self._send_message),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._upstream.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests do and look at ---------------------------------------------------------------

    def call(
        self, token: str, nsid: str, *, params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:  # fmt: skip
        """A chat call as a person's app makes it (through this front door, with the proxy
        header); raises for an error answer."""
        headers = {"Authorization": f"Bearer {token}", PROXY_HEADER: CHAT_SERVICE}
        url = f"{self.url}/xrpc/{nsid}"
        if body is None:
            answer = requests.get(url, params=params, headers=headers, timeout=TIMEOUT)
        else:
            answer = requests.post(url, json=body, headers=headers, timeout=TIMEOUT)
        if not answer.ok:
            raise RuntimeError(f"{nsid} answered {answer.status_code}: {answer.text}")
        return answer.json()

    def send_as(self, token: str, to_did: str, text: str) -> dict[str, Any]:
        """Someone (their access token) writes a direct message to `to_did`."""
        convo = self.call(token, "chat.bsky.convo.getConvoForMembers",
                          params={"members": [to_did]})["convo"]  # fmt: skip
        sent: dict[str, Any] = self.call(
            token, "chat.bsky.convo.sendMessage",
            body={"convoId": convo["id"], "message": {"text": text}},
        )  # fmt: skip
        return sent

    def messages_between(self, one: str, other: str) -> list[dict[str, Any]]:
        """The messages of the conversation of these two DIDs, oldest first."""
        convo = self._convos.get(self._key(one, other))
        return [dict(m) for m in convo.messages] if convo else []

    # --- HTTP -------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                service._serve(self, "GET")

            def do_POST(self) -> None:
                service._serve(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        nsid = parts.path.removeprefix("/xrpc/")
        if nsid.startswith("chat.bsky.") and request.headers.get(PROXY_HEADER) == CHAT_SERVICE:
            status, answer = self._chat(request, method, nsid, parts.query, body)
            self._reply(request, status, json.dumps(answer).encode(), "application/json")
            return
        self._pass_through(request, method, nsid, body)

    def _pass_through(
        self, request: BaseHTTPRequestHandler, method: str, nsid: str, body: bytes
    ) -> None:
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        answer = self._upstream.request(
            method, self._peer.pds_url + request.path, data=body or None, headers=headers,
            timeout=TIMEOUT,
        )  # fmt: skip
        content = answer.content
        if nsid in _SESSION_ANSWERS and answer.ok:
            content = self._with_this_pds(answer.json())
        kind = answer.headers.get("Content-Type", "application/json")
        self._reply(request, answer.status_code, content, kind)

    def _with_this_pds(self, session: dict[str, Any]) -> bytes:
        """A session answer whose DID document names this front door as the PDS."""
        for service in (session.get("didDoc") or {}).get("service") or []:
            if service.get("id") == "#atproto_pds":
                service["serviceEndpoint"] = self.url
        return json.dumps(session).encode()

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    # --- the PDS's part: who is calling, and may their token reach chat --------------------------

    def _caller(self, request: BaseHTTPRequestHandler) -> _Caller:
        auth = request.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            raise _Refused(401, "AuthenticationRequired", "Authentication Required")
        token = auth.removeprefix("Bearer ")
        did = self._sessions.get(token)
        if did is None:
            answer = self._upstream.get(
                f"{self._peer.pds_url}/xrpc/com.atproto.server.getSession",
                headers={"Authorization": auth}, timeout=TIMEOUT,
            )  # fmt: skip
            if not answer.ok:
                raise _Refused(answer.status_code, "InvalidToken", "Token could not be verified")
            did = str(answer.json()["did"])
            self._sessions[token] = did
        if _scope(token) not in PRIVILEGED_SCOPES:
            raise _Refused(400, "InvalidToken", "Bad token method")
        return _Caller(did, token)

    def _pds_get(self, caller: _Caller, nsid: str, params: Mapping[str, Any]) -> Any:
        answer = self._upstream.get(
            f"{self._peer.pds_url}/xrpc/{nsid}", params=params,
            headers={"Authorization": f"Bearer {caller.token}"}, timeout=TIMEOUT,
        )  # fmt: skip
        return answer.json() if answer.ok else None

    # --- the chat service's part ------------------------------------------------------------

    def _chat(
        self, request: BaseHTTPRequestHandler, method: str, nsid: str, query: str, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        try:
            caller = self._caller(request)
            if nsid not in self._methods:
                raise _Refused(501, "MethodNotImplemented", f"{nsid} is not served here")
            wanted, serve = self._methods[nsid]
            if method != wanted:
                raise _Refused(400, "InvalidRequest", f"{nsid} takes {wanted}")
            if method == "GET":
                raw = {k: (v if k == "members" else v[0]) for k, v in parse_qs(query).items()}
                params = _check(_PARAMS[nsid], raw, strict=False, what=f"{nsid} parameters")
                given = params.model_dump(exclude_none=True)
            else:
                try:
                    data = json.loads(body or b"null")
                except ValueError:
                    raise _Refused(400, "InvalidRequest", "the body is not JSON") from None
                given = _check(_DATA[nsid], data, strict=True, what=f"{nsid} input").model_dump(
                    exclude_none=True
                )
            with self._lock:
                self.calls.append(nsid)
                answer = serve(caller, given)
        except _Refused as refused:
            return refused.status, {"error": refused.error, "message": refused.message}
        try:
            _check(_OUTPUT[nsid], answer, strict=True, what=f"{nsid} output")
        except _Refused as wrong:
            self.problems.append(wrong.message)
            return 500, {"error": "InternalServerError", "message": wrong.message}
        return 200, answer

    @staticmethod
    def _key(one: str, other: str) -> str:
        return "|".join(sorted((one, other)))

    def _profile(self, caller: _Caller, did: str) -> dict[str, Any]:
        if did not in self._profiles:
            found = self._pds_get(caller, "app.bsky.actor.getProfile", {"actor": did}) or {}
            profile: dict[str, Any] = {"did": did, "handle": found.get("handle", "handle.invalid")}
            if found.get("displayName"):
                profile["displayName"] = found["displayName"]
            self._profiles[did] = profile
        return dict(self._profiles[did])

    def _view(self, caller: _Caller, convo: Conversation) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": convo.id,
            "rev": convo.rev,
            "members": [self._profile(caller, did) for did in convo.members],
            "muted": False,
            "unreadCount": sum(1 for m in convo.messages if m["sender"]["did"] != caller.did),
            "status": "accepted" if self._wrote_in(convo, caller.did) else "request",
        }
        if convo.messages:
            view["lastMessage"] = dict(convo.messages[-1])
        return view

    @staticmethod
    def _wrote_in(convo: Conversation, did: str) -> bool:
        return any(m["sender"]["did"] == did for m in convo.messages)

    def _convo(self, caller: _Caller, other: str) -> Conversation:
        key = self._key(caller.did, other)
        if key not in self._convos:
            members = (caller.did, other)
            self._convos[key] = Conversation(id=make_tid(), members=members, rev=make_tid())
        return self._convos[key]

    def _mine(self, caller: _Caller, convo_id: str) -> Conversation:
        for convo in self._convos.values():
            if convo.id == convo_id and caller.did in convo.members:
                return convo
        raise _Refused(400, "InvalidConvo", "Convo not found")

    def _accepts(self, caller: _Caller, recipient: str, convo: Conversation | None) -> bool:
        """Whether `recipient` takes a message from the caller: they wrote in the
        conversation already, or their declaration says so."""
        if convo is not None and self._wrote_in(convo, recipient):
            return True
        found = self._pds_get(caller, "com.atproto.repo.getRecord", {
            "repo": recipient, "collection": "chat.bsky.actor.declaration", "rkey": "self",
        })  # fmt: skip
        allow = ((found or {}).get("value") or {}).get("allowIncoming", "following")
        if allow == "all":
            return True
        if allow == "following":
            answer = self._pds_get(caller, "app.bsky.graph.getRelationships", {
                "actor": recipient, "others": caller.did,
            })  # fmt: skip
            relations = (answer or {}).get("relationships") or []
            return bool(relations and relations[0].get("following"))
        return False

    def _list_convos(self, caller: _Caller, params: dict[str, Any]) -> dict[str, Any]:
        mine = [c for c in self._convos.values() if caller.did in c.members and c.messages]
        mine.sort(key=lambda c: c.rev, reverse=True)
        limit = int(params.get("limit") or 50)
        start = int(params["cursor"]) if str(params.get("cursor", "")).isdigit() else 0
        page = mine[start : start + limit]
        answer: dict[str, Any] = {"convos": [self._view(caller, c) for c in page]}
        if start + limit < len(mine):
            answer["cursor"] = str(start + limit)
        return answer

    def _get_messages(self, caller: _Caller, params: dict[str, Any]) -> dict[str, Any]:
        convo = self._mine(caller, str(params["convo_id"]))
        newest_first = list(reversed(convo.messages))
        limit = int(params.get("limit") or 50)
        start = int(params["cursor"]) if str(params.get("cursor", "")).isdigit() else 0
        answer: dict[str, Any] = {
            "messages": [dict(m) for m in newest_first[start : start + limit]]
        }
        if start + limit < len(newest_first):
            answer["cursor"] = str(start + limit)
        return answer

    def _convo_for_members(self, caller: _Caller, params: dict[str, Any]) -> dict[str, Any]:
        others = [did for did in params["members"] if did != caller.did]
        if len(others) != 1:
            raise _Refused(400, "InvalidRequest", "a direct conversation has two members")
        return {"convo": self._view(caller, self._convo(caller, others[0]))}

    def _availability(self, caller: _Caller, params: dict[str, Any]) -> dict[str, Any]:
        others = [did for did in params["members"] if did != caller.did]
        if len(others) != 1:
            raise _Refused(400, "InvalidRequest", "a direct conversation has two members")
        convo = self._convos.get(self._key(caller.did, others[0]))
        answer: dict[str, Any] = {"canChat": self._accepts(caller, others[0], convo)}
        if convo is not None:
            answer["convo"] = self._view(caller, convo)
        return answer

    def _send_message(self, caller: _Caller, data: dict[str, Any]) -> dict[str, Any]:
        convo = self._mine(caller, str(data["convo_id"]))
        [recipient] = [did for did in convo.members if did != caller.did]
        if not self._accepts(caller, recipient, convo):
            raise _Refused(
                400, "InvalidRequest",
                "recipient requires incoming messages to come from someone they follow",
            )  # fmt: skip
        message = {
            "$type": "chat.bsky.convo.defs#messageView",
            "id": make_tid(),
            "rev": make_tid(),
            "text": data["message"]["text"],
            "sender": {"did": caller.did},
            "sentAt": now_iso(),
        }
        convo.messages.append(message)
        convo.rev = message["rev"]
        return dict(message)


def _scope(token: str) -> str:
    """The `scope` claim of an access JWT (read, not verified: the PDS verified it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    return str(claims.get("scope", ""))


_PARAMS: dict[str, type[BaseModel]] = {
    "chat.bsky.convo.listConvos": models.ChatBskyConvoListConvos.Params,
    "chat.bsky.convo.getMessages": models.ChatBskyConvoGetMessages.Params,
    "chat.bsky.convo.getConvoForMembers": models.ChatBskyConvoGetConvoForMembers.Params,
    "chat.bsky.convo.getConvoAvailability": models.ChatBskyConvoGetConvoAvailability.Params,
}
_DATA: dict[str, type[BaseModel]] = {
    "chat.bsky.convo.sendMessage": models.ChatBskyConvoSendMessage.Data,
}
_OUTPUT: dict[str, type[BaseModel]] = {
    "chat.bsky.convo.listConvos": models.ChatBskyConvoListConvos.Response,
    "chat.bsky.convo.getMessages": models.ChatBskyConvoGetMessages.Response,
    "chat.bsky.convo.getConvoForMembers": models.ChatBskyConvoGetConvoForMembers.Response,
    "chat.bsky.convo.getConvoAvailability": models.ChatBskyConvoGetConvoAvailability.Response,
    # sendMessage answers with the message itself: chat.bsky.convo.defs#messageView.
    "chat.bsky.convo.sendMessage": models.ChatBskyConvoDefs.MessageView,
}
