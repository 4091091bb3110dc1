"""Shared fixtures: a real knowledge base built once, and live servers for e2e tests."""

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
from tests.e2e_support import Servers, running_servers

if TYPE_CHECKING:
    from tests.test_telegram import BotApi
    from tests.test_wechat import WeChatApi

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> KBSettings:
    """Build the real index (real model, real faiss) into a temporary directory."""
    from faq_kb.embedder import SentenceTransformerEmbedder
    from faq_kb.index import build_index

    settings = kb_settings().copy(update={"index_dir": tmp_path_factory.mktemp("kb")})
    model = settings.resolved_model_path()
    embedder = SentenceTransformerEmbedder(model, threads=1)
    build_index(settings.articles_dir, embedder, NEGATIVES, model).save(settings.index_dir, model)
    return settings


@pytest.fixture(scope="session")
def kb(built_index: KBSettings) -> Iterator[HybridKnowledgeBase]:
    from bot.actions.shared import use_knowledge_base

    knowledge_base = HybridKnowledgeBase.load(built_index, service_settings())
    use_knowledge_base(knowledge_base)
    yield knowledge_base
    use_knowledge_base(None)


@pytest.fixture(scope="session")
def chain_nodes() -> Iterator[Any]:
    """Local stand-ins for an Ethereum JSON-RPC node and a TRON full node (tests/test_chain)."""
    from tests.test_chain import Nodes

    nodes = Nodes()
    yield nodes
    nodes.close()


@pytest.fixture(scope="session")
def live_servers(tmp_path_factory: pytest.TempPathFactory, chain_nodes: Any) -> Iterator[Servers]:
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
        "CHAIN_BUDGET_SECONDS": "2",
        "CHAIN_CALL_TIMEOUT_SECONDS": "1",
    }
    with running_servers(tmp_path_factory.mktemp("e2e"), chains, with_gateway=True) as servers:
        yield servers


@pytest.fixture(scope="module")
def platforms() -> Iterator[tuple[BotApi, WeChatApi]]:
    """Local servers that play the Telegram Bot API and the WeChat API."""
    from tests.test_telegram import BotApi
    from tests.test_wechat import WeChatApi

    telegram, wechat = BotApi(), WeChatApi()
    yield telegram, wechat
    telegram.close()
    wechat.close()
