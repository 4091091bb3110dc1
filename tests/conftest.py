"""Shared fixtures: a real knowledge base built once, live servers for e2e tests, the
fakes of remote services, the gateway in-process, and the desk database it runs on."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("BOT_PRELOAD_KB", "0")

from common.settings import KBSettings, kb_settings, service_settings
from faq_kb.__main__ import NEGATIVES
from faq_kb.search import HybridKnowledgeBase
from tests.support.chromium import chromium
from tests.support.randomness import SEED
from tests.support.servers import Servers, running_servers
from tests.support.services import fresh_schema

if TYPE_CHECKING:  # imported where used: a unit test run needn't load the gateway
    from tests.fakes.chain import Nodes
    from tests.fakes.telegram import BotApi
    from tests.fakes.wechat import WeChatApi
    from tests.support.gateway import Gateway


def pytest_report_header() -> str:
    return f"random seed: {SEED} (set TEST_SEED to change it)"


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> KBSettings:
    """Build the real index (real model, real faiss) into a temporary directory."""
    from faq_kb.embedder import shared_embedder
    from faq_kb.index import build_index

    settings = kb_settings().copy(update={"index_dir": tmp_path_factory.mktemp("kb")})
    # The backend the searches will use (onnxruntime once `make setup` exported it).
    embedder = shared_embedder(settings.resolved_model_path(), 1)
    index = build_index(settings.articles_dir, embedder, NEGATIVES, embedder.name)
    index.save(settings.index_dir, embedder.name)
    return settings


@pytest.fixture(scope="session")
def kb(built_index: KBSettings) -> Iterator[HybridKnowledgeBase]:
    from bot.actions.shared import use_knowledge_base

    knowledge_base = HybridKnowledgeBase.load(built_index, service_settings())
    use_knowledge_base(knowledge_base)
    yield knowledge_base
    use_knowledge_base(None)


@pytest.fixture(scope="session")
def chain_nodes() -> Iterator[Nodes]:
    """Local stand-ins for an Ethereum JSON-RPC node and a TRON full node."""
    from tests.fakes.chain import Nodes

    nodes = Nodes()
    yield nodes
    nodes.close()


@pytest.fixture(scope="session")
def live_servers(tmp_path_factory: pytest.TempPathFactory, chain_nodes: Nodes) -> Iterator[Servers]:
    """Rasa, the action server and the gateway, started once for all e2e tests."""
    if os.environ.get("E2E_RASA_URL"):  # reuse servers started by `make run`
        yield Servers(
            os.environ["E2E_RASA_URL"],
            os.environ.get("E2E_ACTIONS_URL", ""),
            os.environ.get("E2E_GATEWAY_URL", ""),
        )
        return
    chains = {
        "CHAIN_EVM_ENDPOINTS": json.dumps({"ethereum": f"{chain_nodes.url}/evm/ethereum"}),
        "CHAIN_TRON_ENDPOINT": f"{chain_nodes.url}/tron",
        "CHAIN_TRON_INDEXER_ENDPOINT": f"{chain_nodes.url}/tron-index",
        "CHAIN_SPENDER_ALLOWLIST": json.dumps({"ethereum": ["0x" + "77" * 20]}),  # a router
        "CHAIN_BUDGET_SECONDS": "2",
        "CHAIN_CALL_TIMEOUT_SECONDS": "1",
    }
    with running_servers(tmp_path_factory.mktemp("e2e"), chains, with_gateway=True) as servers:
        yield servers


@pytest.fixture(scope="module")
def platforms() -> Iterator[tuple[BotApi, WeChatApi]]:
    """Local servers that play the Telegram Bot API and the WeChat API."""
    from tests.fakes.telegram import BotApi
    from tests.fakes.wechat import WeChatApi

    telegram, wechat = BotApi(), WeChatApi()
    yield telegram, wechat
    telegram.close()
    wechat.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty desk database: SQLite, and a fresh PostgreSQL schema (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'desk.db'}"
        return
    with fresh_schema() as url:
        yield url


@pytest.fixture
def gateway(database_url: str) -> Iterator[Gateway]:
    """The gateway in-process on that database, with Rasa faked."""
    from tests.fakes.rasa import FakeRasa
    from tests.support.gateway import Gateway

    gateway = Gateway(database_url, FakeRasa())
    with gateway.client:
        yield gateway


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, one per test module (tests/support/chromium.py)."""
    with chromium() as launched:
        yield launched
