"""Defects the client-core redesign fixes by construction, each against a real peer."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync import _b64
from realtime_sync import events as ev
from realtime_sync.audio import ulaw_decode
from realtime_sync.testing import InMemoryTransport, MockRealtimeServer


def test_a_predicate_that_closes_the_client_does_not_deadlock_it() -> None:
    """wait_for's predicate runs with no SDK lock held: it may call close()."""
    with MockRealtimeServer() as server:
        client = rs.RealtimeClient(url=server.url)
        client.connect()
        errors: list[rs.RealtimeError] = []

        def predicate(event: Any) -> bool:
            client.on_error(errors.append)  # takes a client lock
            client.close(timeout=1.0)
            return True

        waited = threading.Event()
        outcome: list[BaseException | Any] = []

        def wait() -> None:
            try:
                outcome.append(client.wait_for("response.*", predicate, timeout=10))
            except BaseException as exc:
                outcome.append(exc)
            waited.set()

        waiter = threading.Thread(target=wait)
        waiter.start()
        client.send_text("hi")
        client.create_response(output_modalities=["text"])
        assert waited.wait(10), "wait_for hung"
        waiter.join(5)
        client.close(timeout=1.0)  # a later close() returns
        assert client.state is rs.ClientState.CLOSED
        assert outcome and isinstance(outcome[0], (ev.ServerEvent, rs.ConnectionClosed))


def test_wait_for_matches_a_beta_prefix_like_handlers_do() -> None:
    """wait_for("response.text.*") finds response.output_text.delta, as on() does."""
    with rs.RealtimeClient(transport=InMemoryTransport()) as client:
        seen: list[str] = []
        client.on("response.text.*", lambda e: seen.append(e.type))
        found: list[Any] = []
        thread = threading.Thread(
            target=lambda: found.append(client.wait_for("response.text.*", timeout=10))
        )
        thread.start()
        client.ask("Hi", timeout=10, output_modalities=["text"])
        thread.join(10)
    assert found and found[0].type == "response.output_text.delta"
    assert "response.output_text.delta" in seen


def test_audio_of_decodes_a_pcmu_session_delta_as_g711() -> None:
    """client.audio_of(delta) decodes by the session's output format (mu-law here)."""
    session = {"audio": {"output": {"format": {"type": "audio/pcmu"}}}}
    deltas: list[ev.ResponseOutputAudioDelta] = []
    with rs.RealtimeClient(transport=InMemoryTransport(), session=session) as client:
        client.on(ev.ResponseOutputAudioDelta, deltas.append)
        reply = client.ask("Hello", timeout=10)
        assert deltas
        decoded = np.concatenate([client.audio_of(d) for d in deltas])
    raw = b"".join(_b64.decode(d.delta) for d in deltas)
    np.testing.assert_array_equal(decoded, ulaw_decode(raw))
    np.testing.assert_array_equal(decoded, reply.audio)
    assert len(deltas[0].audio) != len(client.audio_of(deltas[0]))


def test_a_handler_registered_from_a_predicate_does_not_deadlock() -> None:
    """A predicate that registers a handler returns; the handler runs afterwards."""
    with rs.RealtimeClient(transport=InMemoryTransport()) as client:
        later: list[str] = []

        def predicate(event: Any) -> bool:
            client.on(ev.ResponseDone, lambda e: later.append(e.type))
            return True

        thread = threading.Thread(
            target=lambda: client.wait_for(ev.ResponseCreated, predicate, timeout=10)
        )
        thread.start()
        client.ask("Hi", timeout=10, output_modalities=["text"])
        thread.join(10)
        assert not thread.is_alive()
    assert later == ["response.done"]


@pytest.mark.parametrize("what", ["ask", "wait_for"])
def test_blocking_calls_from_a_handler_still_refuse_at_once(what: str) -> None:
    """The reader-thread guard holds in the new client: no self-deadlock."""
    raised: list[BaseException] = []
    with rs.RealtimeClient(transport=InMemoryTransport()) as client:

        def handler(event: Any) -> None:
            try:
                if what == "ask":
                    client.ask("again")
                else:
                    client.wait_for(ev.ResponseDone, timeout=1)
            except RuntimeError as exc:
                raised.append(exc)

        client.once(ev.ResponseCreated, handler)
        client.ask("Hi", timeout=10, output_modalities=["text"])
    assert len(raised) == 1 and "cannot be called from a handler" in str(raised[0])


def test_no_session_created_in_time_is_a_connect_timeout() -> None:
    """connect() raises ConnectTimeout (a ConnectError and a Timeout) without a session."""

    class Silent(rs.testing.Responder):
        def start(self) -> list[ev.ServerEvent]:
            return []  # the handshake succeeds, then nothing

    client = rs.RealtimeClient(
        transport=InMemoryTransport(responder=Silent("ga")), connect_timeout=0.2
    )
    with pytest.raises(rs.ConnectTimeout, match=r"no session\.created") as raised:
        client.connect()
    assert isinstance(raised.value, rs.ConnectError)
    assert isinstance(raised.value, rs.Timeout)
    assert client.state is rs.ClientState.CLOSED


def test_importing_the_package_builds_no_converter() -> None:
    """Importing realtime_sync stays cheap: the cattrs hooks are built at first use."""
    import subprocess
    import sys

    code = (
        "import realtime_sync, realtime_sync.client, realtime_sync.session\n"
        "from realtime_sync.protocol import codec\n"
        "assert codec._built is None, 'the converter was built at import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_connect_loads_what_the_first_events_need() -> None:
    """connect() loads the numpy audio decoding and builds the encoders.

    Neither is loaded by ``import realtime_sync``; left to first use, the first
    audio delta would wait (on the reader thread, holding the GIL) for numpy's
    import, and the first send for the encoders: 30-110 ms. A fresh interpreter
    with a plain websockets server, so that nothing else loads them first.
    """
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import sys, threading
        from websockets.sync.server import serve

        import realtime_sync as rs
        from realtime_sync.protocol import codec

        HELLO = '{"type":"session.created","event_id":"e1","session":{"type":"realtime"}}'

        def handler(ws):
            ws.send(HELLO)
            for _ in ws:
                pass

        server = serve(handler, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        before = ("realtime_sync.audio._base64" in sys.modules, bool(codec._encoders))
        port = server.socket.getsockname()[1]
        client = rs.RealtimeClient(url=f"ws://127.0.0.1:{port}/v1/realtime", api_key="x")
        client.connect()
        after = ("realtime_sync.audio._base64" in sys.modules, bool(codec._encoders))
        client.close()
        server.shutdown()
        print(before, after)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "(False, False) (True, True)", done.stdout
