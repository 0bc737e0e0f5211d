"""The backends of the Live mock: Responses delegation and Decisions.

A mixin of :class:`~realtime_sync.testing.LiveResponder`. Responses delegation: the
backend's events go out in ``response.event`` envelopes in the captured order, with
trimmed lifecycle snapshots (no ``created_at``, ``output: []``); a function tool of
the backend is called with arguments read from the user's words (``_tool_args``),
and the client answers with ``response.item.create`` + ``response.create``.
Decisions: a deterministic answer per question.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from realtime_sync.events._base import UNSET, UnknownModel
from realtime_sync.events.models import FunctionTool as RealtimeFunctionTool
from realtime_sync.live import events as lv
from realtime_sync.live.codec import LiveCodec
from realtime_sync.testing._base import _Rejected
from realtime_sync.testing._live_base import _client_id, _LiveBase, you_said
from realtime_sync.testing._tool_args import tool_arguments

__all__ = ["_LiveBackendMixin"]

_MAX_RESPONSE_ITEMS = 128
_NOT_RESPONSES = "{} requires Responses delegation."


class _LiveBackendMixin(_LiveBase):
    """Responses delegation and Decisions (see the module docstring)."""

    _responses_delegation: str | None
    _function_outputs: list[str]
    _response_items: int
    _decision_items: set[str]
    delegate_keywords: tuple[str, ...]

    def _delegation_target(self, text: str) -> str | None:
        """The delegation kind a user turn asks for (a tool or keyword named), if any."""
        words = text.lower()
        tools = self._function_tools()
        named = any(
            t.name.lower() in words or t.name.lower().replace("_", " ") in words
            for t in tools
            if isinstance(t.name, str)
        )
        if not named and not any(k in words for k in self.delegate_keywords):
            return None
        kind = getattr(self._session().delegation, "type", "client")
        return kind if kind in ("client", "responses", "decisions") else "client"

    # -- Responses delegation ----------------------------------------------------------

    def _require_responses(self, wire_type: str) -> None:
        if getattr(self._session().delegation, "type", "client") != "responses":
            raise _Rejected(
                _NOT_RESPONSES.format(wire_type), "invalid_delegation_mode", "type"
            )

    def _response_item_create(self, event: lv.ResponseItemCreate) -> list[Any]:
        self._require_responses(event.TYPE)
        if self._response_items >= _MAX_RESPONSE_ITEMS:
            raise _Rejected(
                "The Responses input buffer is full.",
                "response_input_buffer_full",
                "item",
            )
        self._response_items += 1
        item = event.item
        if isinstance(item, lv.FunctionCallOutputItem):
            output = item.output
            self._function_outputs.append(
                output if isinstance(output, str) else json.dumps(output)
            )
        return []

    def _response_create(self, event: lv.ResponseCreate) -> list[Any]:
        self._require_responses(event.TYPE)
        delegation_id = self._responses_delegation or self._next_id("deleg")
        if self._function_outputs:
            text = f"The tool returned: {self._function_outputs[-1]}."
            self._function_outputs.clear()
        else:
            heard = [t for role, t in self.transcript if role == "user"]
            text = you_said(heard[-1]) if heard else "Hello!"
        out = self._backend_text(delegation_id, self._next_id("resp"), text)
        self._say(text)
        return out

    def _backend_first(
        self, delegation_id: str, response_id: str, text: str
    ) -> list[Any]:
        """The backend's first response: a function call, or a text answer."""
        tools = self._function_tools()
        if not tools:
            answer = f"You asked: {text.rstrip('.')}."
            out = self._backend_text(delegation_id, response_id, answer)
            self._say(answer)
            return out
        words = text.lower()
        tool = next(
            (
                t
                for t in tools
                if isinstance(t.name, str)
                and (
                    t.name.lower() in words or t.name.lower().replace("_", " ") in words
                )
            ),
            tools[0],
        )
        name = str(tool.name)
        schema = tool.parameters if isinstance(tool.parameters, dict) else UNSET
        arguments = tool_arguments(
            RealtimeFunctionTool(name=name, parameters=schema), text
        )
        number = self._next_number("item")
        item_id, call_id = f"fc_{number:04d}", f"call_{number:04d}"
        item = {
            "type": "function_call",
            "id": item_id,
            "call_id": call_id,
            "name": name,
            "arguments": "",
            "status": "in_progress",
        }
        done = {**item, "arguments": arguments, "status": "completed"}
        nested: list[dict[str, Any]] = [
            {
                "type": "response.created",
                "response": self._snapshot(response_id, "in_progress"),
            },
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {
                "type": "response.function_call_arguments.delta",
                "item_id": item_id,
                "output_index": 0,
                "delta": arguments,
            },
            {
                "type": "response.function_call_arguments.done",
                "item_id": item_id,
                "output_index": 0,
                "arguments": arguments,
            },
            {"type": "response.output_item.done", "output_index": 0, "item": done},
            {
                "type": "response.completed",
                "response": self._snapshot(response_id, "completed", usage=True),
            },
        ]
        return self._envelopes(delegation_id, nested)

    def _backend_text(
        self, delegation_id: str, response_id: str, text: str
    ) -> list[Any]:
        """A backend response streaming ``text``, wrapped."""
        item_id = f"msg_{self._next_number('item'):04d}"
        part = {"type": "output_text", "text": "", "annotations": []}
        message = {
            "type": "message",
            "id": item_id,
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        where = {"item_id": item_id, "output_index": 0, "content_index": 0}
        nested: list[dict[str, Any]] = [
            {
                "type": "response.created",
                "response": self._snapshot(response_id, "in_progress"),
            },
            {"type": "response.output_item.added", "output_index": 0, "item": message},
            {"type": "response.content_part.added", **where, "part": part},
        ]
        for k in range(0, len(text), 16):
            nested.append(
                {
                    "type": "response.output_text.delta",
                    **where,
                    "delta": text[k : k + 16],
                    "logprobs": [],
                }
            )
        full = {**part, "text": text}
        nested += [
            {
                "type": "response.output_text.done",
                **where,
                "text": text,
                "logprobs": [],
            },
            {"type": "response.content_part.done", **where, "part": full},
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {**message, "status": "completed", "content": [full]},
            },
            {
                "type": "response.completed",
                "response": self._snapshot(response_id, "completed", usage=True),
            },
        ]
        return self._envelopes(delegation_id, nested)

    def _envelopes(self, delegation_id: str, nested: list[dict[str, Any]]) -> list[Any]:
        codec = LiveCodec()
        out = []
        for number, body in enumerate(nested):
            text = json.dumps(
                {
                    "type": "response.event",
                    "event_id": self._next_id("event"),
                    "delegation_id": delegation_id,
                    "event": {**body, "sequence_number": number},
                }
            )
            out.append(codec.decode_server(text))
        return out

    def _snapshot(
        self, response_id: str, status: str, *, usage: bool = False
    ) -> dict[str, Any]:
        """A trimmed lifecycle snapshot, as the service sends (no input, tools, output)."""
        backend = getattr(self._session().delegation, "responses", None)
        model = getattr(backend, "model", UNSET)
        snapshot: dict[str, Any] = {
            "id": response_id,
            "object": "response",
            "status": status,
            "model": model if isinstance(model, str) else "gpt-5",
            "output": [],
        }
        if usage:
            snapshot["usage"] = {
                "input_tokens": 120,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 20,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 140,
            }
        return snapshot

    def _function_tools(self) -> list[lv.FunctionTool]:
        if self.session is None:
            return []
        backend = getattr(self.session.delegation, "responses", None)
        tools = getattr(backend, "tools", None)
        if not isinstance(tools, list):
            return []
        return [t for t in tools if isinstance(t, lv.FunctionTool)]

    # -- Decisions ---------------------------------------------------------------------

    def _questions(self) -> list[Any]:
        session = self._session()
        backend = getattr(session.delegation, "decisions", None)
        questions = getattr(backend, "questions", None)
        if isinstance(questions, list):
            return questions
        for trigger in session.triggers if isinstance(session.triggers, list) else []:
            qs = getattr(trigger.decisions, "questions", None)
            if isinstance(qs, list):
                return qs
        return []

    def _trigger_events(self, event_type: str, source_event_id: str) -> list[Any]:
        """``decision.event`` of each transcript trigger on ``event_type``.

        The mock fires a trigger once per user turn (input transcript) or per spoken
        answer (output transcript), on its last delta, not on every delta.
        """
        triggers = self._session().triggers
        out: list[Any] = []
        for number, trigger in enumerate(
            triggers if isinstance(triggers, list) else [], 1
        ):
            questions = getattr(trigger.decisions, "questions", None)
            if trigger.event_type != event_type or not isinstance(questions, list):
                continue
            event = self._decision_event(questions=questions)
            out.append(
                attrs.evolve(
                    event,
                    trigger_id=f"trigger_{number:04d}",
                    source_event_id=source_event_id,
                    source_event_type=event_type,
                )
            )
        return out

    def _decision_event(
        self,
        *,
        delegation_id: str | None = None,
        client_event_id: str | None = None,
        questions: list[Any] | None = None,
    ) -> lv.DecisionEvent:
        answers: list[Any] = []
        for q in self._questions() if questions is None else questions:
            name = getattr(q, "name", UNSET)
            if isinstance(q, lv.Predicate):
                answers.append(lv.PredicateAnswer(name=name, probability=0.5))
            elif isinstance(q, lv.Choice) and isinstance(q.choices, list) and q.choices:
                first = q.choices[0].value
                answers.append(
                    lv.ChoiceAnswer(
                        name=name,
                        choice=first,
                        confidence=1.0,
                        probabilities=[
                            lv.ChoiceProbability(
                                value=c.value, probability=1.0 if i == 0 else 0.0
                            )
                            for i, c in enumerate(q.choices)
                        ],
                    )
                )
            elif isinstance(q, lv.Score) and isinstance(q.levels, list) and q.levels:
                answers.append(
                    lv.ScoreAnswer(
                        name=name,
                        score=0.0,
                        confidence=1.0,
                        probabilities=[
                            lv.ScoreProbability(
                                label=str(level.label),
                                probability=1.0 if i == 0 else 0.0,
                                value=i,
                            )
                            for i, level in enumerate(q.levels)
                        ],
                    )
                )
            else:
                answers.append(lv.RefusalAnswer(name=name))
        backend = getattr(self._session().delegation, "decisions", None)
        model = getattr(backend, "model", UNSET)
        zero = lv.DecisionUsage(
            input_tokens=0,
            input_tokens_details=lv.InputTokensDetails(
                cache_write_tokens=0, cached_tokens=0
            ),
            output_tokens=0,
            output_tokens_details=lv.OutputTokensDetails(reasoning_tokens=0),
            total_tokens=0,
        )
        return lv.DecisionEvent(
            event_id=self._next_id("event"),
            event=lv.DecisionCompleted(
                decision=lv.Decision(
                    answers=answers,
                    model=model if isinstance(model, str) else "gpt-5-mini",
                    usage=zero,
                )
            ),
            delegation_id=delegation_id,
            # Not in the SDK's model: how a manual decision is correlated is
            # unverified (§14); the mock echoes the command's id, as acks do.
            extra={"client_event_id": client_event_id} if client_event_id else {},
        )

    def _decision_create(self, event: lv.DecisionCreate) -> list[Any]:
        if not isinstance(event.event_id, str):
            raise _Rejected(
                "Missing required parameter: 'event_id'.",
                "missing_required_parameter",
                "event_id",
            )
        if not self._questions():
            raise _Rejected(
                "No Decisions questions are configured for this session.",
                "decisions_not_configured",
                "type",
            )
        return [self._decision_event(client_event_id=event.event_id)]

    def _decision_item_create(self, event: lv.DecisionItemCreate) -> list[Any]:
        item = event.item
        item_id = getattr(item, "id", UNSET)
        if not isinstance(item_id, str):
            item_id = self._next_id("ditem")
            if not isinstance(item, UnknownModel):
                item = attrs.evolve(item, id=item_id)
        self._decision_items.add(item_id)
        return [
            lv.DecisionItemCreated(
                event_id=self._next_id("event"),
                item=item,
                client_event_id=_client_id(event) or UNSET,
            )
        ]

    def _decision_item_delete(self, event: lv.DecisionItemDelete) -> list[Any]:
        if event.item_id not in self._decision_items:
            raise _Rejected(
                f"Unknown item_id: '{event.item_id}'.", "invalid_value", "item_id"
            )
        self._decision_items.discard(event.item_id)
        return [
            lv.DecisionItemDeleted(
                event_id=self._next_id("event"),
                item_id=event.item_id,
                client_event_id=_client_id(event) or UNSET,
            )
        ]
