"""Azure OpenAI: the GA ``/openai/v1`` path, and the classic preview path (beta dialect).

    export AZURE_OPENAI_ENDPOINT=https://my-resource.openai.azure.com
    export AZURE_OPENAI_API_KEY=...              # or sign in for an Entra ID token
    export AZURE_OPENAI_DEPLOYMENT=gpt-realtime  # your deployment's name
    export AZURE_OPENAI_API_VERSION=2025-04-01-preview   # optional: the classic path
    python examples/azure.py "Hello from Azure"

``RealtimeClient.azure(...)`` builds the URL and the ``api-key`` header (or a bearer
token from ``token_provider=``) and picks the dialect: GA for
``<endpoint>/openai/v1/realtime?model=<deployment>``, beta for the classic
``<endpoint>/openai/realtime?api-version=...&deployment=...``. Your code is the same
for both. Without AZURE_OPENAI_ENDPOINT, both paths are shown against the embedded
mock server, given as the endpoint ``http://127.0.0.1:PORT`` with a required key.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence

import realtime_sync as rs
from realtime_sync import events as ev

MOCK_KEY = "azure-demo-key"


def ask(client: rs.RealtimeClient, text: str, timeout: float) -> rs.Response:
    with client:
        print(f"  you> {text}\n  assistant> ", end="", flush=True)
        reply = client.ask(text, timeout=timeout, output_modalities=["text"])
        print(f"   [{reply.status}]")
    return reply


class _Handshakes(logging.Handler):
    """Collects the request lines of the mock server's handshakes (its debug log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("< GET "):
            self.lines.append(message[2:])


@contextlib.contextmanager
def _watch_handshakes() -> Iterator[_Handshakes]:
    # The mock logs each upgrade request (keys redacted) on this logger at DEBUG.
    logger = logging.getLogger("realtime_sync.testing._server.websockets")
    handler, level = _Handshakes(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text", nargs="?", default="Hello from Azure!")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    deployment = os.environ.get("AZURE_OPENAI_DEPLOYMENT", "gpt-realtime")

    if os.environ.get("AZURE_OPENAI_ENDPOINT"):
        # AZURE_OPENAI_API_KEY is read when no key or token provider is given; for
        # Entra ID: token_provider=azure.identity.get_bearer_token_provider(...).
        client = rs.RealtimeClient.azure(
            endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
            deployment=deployment,
            api_version=os.environ.get("AZURE_OPENAI_API_VERSION"),
        )
        client.on(ev.ResponseOutputTextDelta, lambda e: print(e.delta, end=""))
        print(f"Azure OpenAI, deployment {deployment!r} ({client.dialect} dialect)")
        reply = ask(client, args.text, args.timeout)
        return 0 if reply.status == "completed" else 1

    from realtime_sync.testing import MockRealtimeServer

    print("no AZURE_OPENAI_ENDPOINT: the mock server stands in for an Azure resource")
    with (
        MockRealtimeServer(require_api_key=MOCK_KEY) as server,
        _watch_handshakes() as seen,
    ):
        endpoint = f"http://127.0.0.1:{server.port}"  # what you would put in the env
        for label, api_version in (
            ("GA path", None),
            ("classic path", "2025-04-01-preview"),
        ):
            client = rs.RealtimeClient.azure(
                endpoint=endpoint,
                deployment=deployment,
                api_version=api_version,
                api_key=MOCK_KEY,  # sent as the api-key header
            )
            client.on(ev.ResponseOutputTextDelta, lambda e: print(e.delta, end=""))
            print(f"{label} ({client.dialect} dialect):")
            reply = ask(client, args.text, args.timeout)
            if seen.lines:
                print(f"  the server saw: GET {seen.lines[-1].split()[1]}")
            if reply.status != "completed":
                return 1

        bad = rs.RealtimeClient.azure(
            endpoint=endpoint, deployment=deployment, api_key="wrong-key"
        )
        try:
            bad.connect()
        except rs.AuthenticationError as exc:
            print(f"a wrong key: AuthenticationError (HTTP {exc.status})")
        else:
            bad.close()
            print("a wrong key was accepted?")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
