"""openai-python as an oracle: same event types, and what we encode validates there.

openai is a test-only dependency (the ``test`` extra); without it these tests skip.
"""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest

openai_realtime = pytest.importorskip("openai.types.realtime")
pydantic = pytest.importorskip("pydantic")

from openai._models import construct_type_unchecked  # noqa: E402

from realtime_sync.events import (  # noqa: E402
    CLIENT_EVENTS,
    SERVER_EVENTS,
    AssistantMessage,
    AudioConfig,
    AudioInput,
    AudioOutput,
    AudioPCM,
    AudioPCMA,
    AudioPCMU,
    ClientEvent,
    ConversationItemCreate,
    ConversationItemDelete,
    ConversationItemRetrieve,
    ConversationItemTruncate,
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionTool,
    InputAudio,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    InputFile,
    InputImage,
    InputText,
    Item,
    McpApprovalFilter,
    McpApprovalRequestItem,
    McpApprovalResponseItem,
    McpCallItem,
    McpListToolsItem,
    McpProtocolError,
    McpTool,
    McpToolExecutionError,
    McpToolFilter,
    McpToolInfo,
    NoiseReduction,
    OutputAudioBufferClear,
    OutputText,
    Prompt,
    RealtimeSession,
    Reasoning,
    ResponseAudio,
    ResponseCancel,
    ResponseCreate,
    ResponseCreateParams,
    RetentionRatioTruncation,
    SemanticVad,
    ServerVad,
    SessionUpdate,
    SystemMessage,
    TokenLimits,
    ToolChoiceFunction,
    ToolChoiceMcp,
    TracingConfig,
    TranscriptionAudio,
    TranscriptionConfig,
    TranscriptionSession,
    UserMessage,
    VoiceId,
)
from realtime_sync.protocol import Codec  # noqa: E402
from tests.data import (  # noqa: E402
    beta_docs,
    catalog_examples,
    ga_conversation_lines,
)

SERVER_UNION = openai_realtime.RealtimeServerEvent
CLIENT_UNION = openai_realtime.RealtimeClientEvent
server_adapter = pydantic.TypeAdapter(SERVER_UNION)
client_adapter = pydantic.TypeAdapter(CLIENT_UNION)
GA = Codec("ga")


def _members(union: Any) -> tuple[type, ...]:
    """The model classes of an (optionally ``Annotated``) union."""
    if typing.get_origin(union) is typing.Annotated:
        union = typing.get_args(union)[0]
    return typing.get_args(union)


def _type_strings(union: Any) -> set[str]:
    out: set[str] = set()
    model: Any
    for model in _members(union):
        literal = model.model_fields["type"].annotation
        out.update(typing.get_args(literal))
    return out


def _extras(value: Any, path: str = "$") -> list[str]:
    """Paths of fields openai's models do not define (they allow and keep extras)."""
    found = []
    if isinstance(value, pydantic.BaseModel):
        found += [f"{path}.{k}" for k in value.model_extra or {}]
        for name in type(value).model_fields:
            found += _extras(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _extras(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += _extras(item, f"{path}.{key}")
    return found


# -- type coverage ---------------------------------------------------------------------


def test_every_openai_server_type_has_our_class() -> None:
    """Each type of openai's RealtimeServerEvent union has a class in SERVER_EVENTS."""
    theirs = _type_strings(SERVER_UNION)

    assert len(theirs) == 46
    assert theirs - set(SERVER_EVENTS) == set()
    assert set(SERVER_EVENTS) - theirs == {
        "transcription_session.created",
        "transcription_session.updated",
    }


def test_every_openai_client_type_has_our_class() -> None:
    """Each type of openai's RealtimeClientEvent union has a class in CLIENT_EVENTS."""
    theirs = _type_strings(CLIENT_UNION)

    assert len(theirs) == 11
    assert theirs - set(CLIENT_EVENTS) == set()
    assert set(CLIENT_EVENTS) - theirs == {"transcription_session.update"}


# -- client events we encode validate against openai's models --------------------------

AUDIO_B64 = "AAABAAIAAwAEAAUABgAHAAgACQAKAAsADAANAA4ADwA="
WEATHER = FunctionTool(
    name="get_weather",
    description="Get the weather forecast for a location.",
    parameters={
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
)
DEEPWIKI = McpTool(
    server_label="deepwiki",
    server_url="https://mcp.deepwiki.com/mcp",
    headers={"X-Trace": "1"},
    allowed_tools=McpToolFilter(tool_names=["ask_question"], read_only=True),
    require_approval=McpApprovalFilter(never=McpToolFilter(tool_names=["ask"])),
    server_description="Docs of public repositories.",
)
FULL_SESSION = RealtimeSession(
    model="gpt-realtime",
    output_modalities=["audio"],
    instructions="You are a concise travel assistant.",
    audio=AudioConfig(
        input=AudioInput(
            format=AudioPCM(rate=24000),
            transcription=TranscriptionConfig(
                model="gpt-4o-mini-transcribe", language="en", prompt="travel"
            ),
            noise_reduction=NoiseReduction(type="near_field"),
            turn_detection=ServerVad(
                threshold=0.5,
                prefix_padding_ms=300,
                silence_duration_ms=500,
                idle_timeout_ms=None,
                create_response=True,
                interrupt_response=True,
            ),
        ),
        output=AudioOutput(format=AudioPCM(rate=24000), voice="marin", speed=1.0),
    ),
    include=["item.input_audio_transcription.logprobs"],
    tools=[WEATHER, DEEPWIKI],
    tool_choice=ToolChoiceFunction(name="get_weather"),
    max_output_tokens=4096,
    tracing=TracingConfig(workflow_name="travel", group_id="g1", metadata={"a": 1}),
    truncation=RetentionRatioTruncation(
        retention_ratio=0.8, token_limits=TokenLimits(post_instructions=1000)
    ),
    prompt=Prompt(
        id="pmpt_1",
        version="2",
        variables={
            "city": "Lisbon",
            "note": InputText(text="Window seat."),
            "map": InputImage(image_url="https://example.com/map.png", detail="low"),
            "plan": InputFile(file_id="file_1", filename="plan.pdf"),
        },
    ),
    reasoning=Reasoning(effort="low"),
    parallel_tool_calls=False,
)
ITEMS: list[Item] = [
    SystemMessage(content=[InputText(text="Answer in English.")]),
    UserMessage(
        content=[
            InputText(text="What is in this picture?"),
            InputImage(image_url="data:image/png;base64,iVBORw0KGgo=", detail="auto"),
        ]
    ),
    UserMessage(content=[InputAudio(audio=AUDIO_B64, transcript="Hi")], id="item_u"),
    AssistantMessage(content=[OutputText(text="Hello!")], status="completed"),
    FunctionCallItem(
        name="get_weather", arguments='{"location":"Lisbon"}', call_id="c1"
    ),
    FunctionCallOutputItem(call_id="c1", output='{"temp_c":21}'),
    McpApprovalResponseItem(id="mcpr_1", approval_request_id="mcpa_1", approve=True),
    McpListToolsItem(
        server_label="deepwiki",
        tools=[McpToolInfo(name="ask_question", input_schema={"type": "object"})],
    ),
    McpCallItem(
        id="mcp_1",
        server_label="deepwiki",
        name="ask_question",
        arguments="{}",
        output=None,
        error=McpProtocolError(code=-32600, message="Invalid request"),
    ),
    McpCallItem(
        id="mcp_2",
        server_label="deepwiki",
        name="ask_question",
        arguments="{}",
        error=McpToolExecutionError(message="boom"),
    ),
    McpApprovalRequestItem(
        id="mcpa_1", server_label="deepwiki", name="ask_question", arguments="{}"
    ),
]
REALISTIC: list[tuple[str, ClientEvent]] = [
    ("session.update-full", SessionUpdate(event_id="evt_1", session=FULL_SESSION)),
    (
        "session.update-semantic-pcmu",
        SessionUpdate(
            session=RealtimeSession(
                audio=AudioConfig(
                    input=AudioInput(
                        format=AudioPCMU(),
                        turn_detection=SemanticVad(eagerness="high"),
                        noise_reduction=None,
                        transcription=None,
                    ),
                    output=AudioOutput(format=AudioPCMA(), voice=VoiceId(id="voice_1")),
                ),
                tool_choice=ToolChoiceMcp(server_label="deepwiki", name="ask"),
                tracing="auto",
                truncation="disabled",
                max_output_tokens="inf",
            )
        ),
    ),
    (
        "session.update-transcription",
        SessionUpdate(
            session=TranscriptionSession(
                audio=TranscriptionAudio(
                    input=AudioInput(
                        format=AudioPCM(rate=24000),
                        transcription=TranscriptionConfig(
                            model="gpt-4o-transcribe", language="pt"
                        ),
                        turn_detection=None,
                        noise_reduction=NoiseReduction(type="far_field"),
                    )
                ),
                include=["item.input_audio_transcription.logprobs"],
            )
        ),
    ),
    *[
        (
            f"conversation.item.create-{type(item).__name__}-{i}",
            ConversationItemCreate(item=item, previous_item_id="item_0"),
        )
        for i, item in enumerate(ITEMS)
    ],
    ("response.create-bare", ResponseCreate()),
    (
        "response.create-params",
        ResponseCreate(
            event_id="evt_2",
            response=ResponseCreateParams(
                output_modalities=["text"],
                instructions="Summarise the conversation.",
                audio=ResponseAudio(
                    output=AudioOutput(format=AudioPCMU(), voice="alloy")
                ),
                tools=[WEATHER],
                tool_choice="none",
                max_output_tokens=200,
                conversation="none",
                input=[ITEMS[1], ITEMS[4], ITEMS[5]],
                metadata={"purpose": "summary"},
                prompt=Prompt(id="pmpt_2"),
                reasoning=Reasoning(effort="minimal"),
                parallel_tool_calls=True,
            ),
        ),
    ),
    (
        "conversation.item.truncate",
        ConversationItemTruncate(item_id="item_a", content_index=0, audio_end_ms=1500),
    ),
    ("conversation.item.delete", ConversationItemDelete(item_id="item_a")),
    ("conversation.item.retrieve", ConversationItemRetrieve(item_id="item_a")),
    ("input_audio_buffer.append", InputAudioBufferAppend(audio=AUDIO_B64)),
    ("input_audio_buffer.commit", InputAudioBufferCommit(event_id="evt_3")),
    ("input_audio_buffer.clear", InputAudioBufferClear()),
    ("output_audio_buffer.clear", OutputAudioBufferClear()),
    ("response.cancel", ResponseCancel(response_id="resp_1")),
    ("response.cancel-bare", ResponseCancel()),
]


def test_realistic_examples_cover_every_ga_client_type() -> None:
    """The realistic examples include every GA client event type."""
    covered = {event.TYPE for _, event in REALISTIC}

    assert covered == _type_strings(CLIENT_UNION)


@pytest.mark.parametrize(
    "event", [e for _, e in REALISTIC], ids=[n for n, _ in REALISTIC]
)
def test_realistic_client_event_validates_against_openai(event: ClientEvent) -> None:
    """encode_client writes a valid openai event of its type, with no unknown field."""
    wire = json.loads(GA.encode_client(event))

    model = client_adapter.validate_python(wire)

    assert model.type == event.TYPE
    assert _extras(model) == []


GA_CLIENT_EXAMPLES = [p for p in catalog_examples("ga") if p.direction == "client"]


@pytest.mark.parametrize(
    "example", GA_CLIENT_EXAMPLES, ids=[p.id for p in GA_CLIENT_EXAMPLES]
)
def test_catalog_client_example_re_encoded_validates(example: Any) -> None:
    """Every GA catalog client example, decoded and re-encoded, validates in openai."""
    event = GA.decode_client(json.dumps(example.payload))

    model = client_adapter.validate_python(json.loads(GA.encode_client(event)))

    assert model.type == event.TYPE == example.payload["type"]
    assert _extras(model) == []


BETA_CLIENT_DOCS = [
    p
    for p in beta_docs()
    if p.direction == "client" and p.payload["type"] in _type_strings(CLIENT_UNION)
]


@pytest.mark.parametrize(
    "example", BETA_CLIENT_DOCS, ids=[p.id for p in BETA_CLIENT_DOCS]
)
def test_beta_docs_client_example_translated_to_ga_validates(example: Any) -> None:
    """A beta docs client example, decoded as beta and encoded as GA, is valid GA."""
    event = Codec("beta").decode_client(json.dumps(example.payload))

    model = client_adapter.validate_python(json.loads(GA.encode_client(event)))

    assert model.type == event.TYPE


# -- server events: openai and we agree on the type of every frame ---------------------


def test_ga_stream_decodes_to_the_same_types_as_openai() -> None:
    """Every frame of the GA conversation: openai's union and ours give one type."""
    lines = ga_conversation_lines()

    for line in lines:
        ours = GA.decode_server(line)
        validated = server_adapter.validate_json(line)
        # What openai's RealtimeConnection.parse_event does with a received frame.
        parsed = construct_type_unchecked(value=json.loads(line), type_=SERVER_UNION)

        assert validated.type == parsed.type == ours.TYPE == json.loads(line)["type"]
    assert len(lines) > 100


GA_SERVER_EXAMPLES = [p for p in catalog_examples("ga") if p.direction == "server"]


@pytest.mark.parametrize(
    "example", GA_SERVER_EXAMPLES, ids=[p.id for p in GA_SERVER_EXAMPLES]
)
def test_catalog_server_example_types_agree_with_openai(example: Any) -> None:
    """A GA catalog server example: same type in openai, re-encoding validates."""
    ours = GA.decode_server(json.dumps(example.payload))

    model = server_adapter.validate_python(json.loads(GA.encode_server(ours)))

    assert model.type == ours.TYPE == example.payload["type"]
