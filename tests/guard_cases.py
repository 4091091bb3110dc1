"""The guard's labelled test set, generated (seeded) so it is reproducible: real-format
phrases from the ``mnemonic`` package, keys and keystores, look-alikes that must pass,
and ordinary support questions. Used by tests/test_guard.py and scripts/bench_guard.py.

:func:`split_cases` are phrases sent in pieces over several messages (issue 17): every
piece must be kept from the bot, and the whole recognised once the pieces add up.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

import base58
from mnemonic import Mnemonic

LANGUAGES = ("english", "spanish", "chinese_simplified", "chinese_traditional")


@dataclass(frozen=True)
class Case:
    text: str
    secret: bool  # the label: must be caught
    category: str  # phrase, phrase_in_sentence, phrase_damaged, key, … ordinary_zh
    hash_expected: bool = False  # the bot had just asked for a tx hash


def _phrase(rng: random.Random, language: str, strength: int) -> str:
    return str(
        Mnemonic(language).to_mnemonic(bytes(rng.getrandbits(8) for _ in range(strength // 8)))
    )


def _wif(rng: random.Random, compressed: bool) -> str:
    payload = (
        b"\x80" + bytes(rng.getrandbits(8) for _ in range(32)) + (b"\x01" if compressed else b"")
    )
    return str(base58.b58encode_check(payload).decode())


def _xprv(rng: random.Random) -> str:
    body = bytes.fromhex("0488ade4") + bytes(rng.getrandbits(8) for _ in range(74))
    return str(base58.b58encode_check(body).decode())


def _hex(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))


def _evm_address(rng: random.Random) -> str:
    return "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))


def _tron_address(rng: random.Random) -> str:
    raw = b"\x41" + hashlib.sha256(str(rng.random()).encode()).digest()[:20]
    return str(base58.b58encode_check(raw).decode())


PHRASE_FRAMES = [
    "{p}",
    "my seed phrase is {p} please help",
    "助记词：{p}",
    "我的助记词是 {p} 帮我找回钱包",
    "mi frase de recuperación es {p}, ayuda",
    "Is this right? {p}",
    "{p}\nthat's what the app showed me",
]
HAN_UNSPACED = ["我的助记词是{p}", "{p}", "{p}这是我备份的"]
# A phrase inside a sentence with nothing between them, on either side or both (issue 17:
# a Chinese one glued on both sides was missed). Latin phrases keep their spaces.
GLUED = [
    "我的助记词是{p}帮我找回钱包",
    "客服说让我把{p}发给他验证这样安全吗",
    "你好{p}这是我备份的",
    "钱包里的币不见了{p}",
    "{p}是我抄下来的助记词对吗",
    "麻烦看一下我的钱包备份是{p}是不是写错了",
]
# Ordinary Chinese, much of it without punctuation, that must pass untouched.
ORDINARY_ZH = [
    "客服让我把币转到安全账户说我的钱包涉嫌洗钱这是真的吗",
    "我昨天晚上从交易所提币到钱包到现在还没有到账是不是网络选错了",
    "我的助记词是自己写在纸上的现在找不到了还能不能找回钱包里的钱",
    "你们几点上班我想问一下转账失败手续费会退回来吗",
    "我在网上找了一个人工客服他让我下载新版本的钱包然后让我输入助记词",
    "为什么我的钱包显示余额是零但是区块浏览器上能看到币还在",
    "麻烦帮我查一下这笔交易为什么一直在打包中已经过去三个小时了",
    "我想把钱包里的USDT换成TRX应该怎么操作手续费大概是多少",
    "手机丢了换了新手机怎么恢复钱包之前的密码也忘记了",
    "有人说可以帮我解冻资产但是要先交一笔保证金我该相信他吗",
    "您好請問我的轉賬為什麼一直沒有到賬已經等了兩個小時了",
    "我忘記錢包密碼了用助記詞重新導入的話之前的幣還在嗎",
    "今天早上收到一條短信說我的賬戶被凍結了要我點擊鏈接驗證身份",
    "同一个问题被客服推来推去太气人了我要投诉",
    "我是不是被骗了对方说转给他一百个币就能拿回我的一千个币",
    "请问你们支持哪些语言我的朋友只会说西班牙语",
]
HASH_FRAMES = [
    ("my tx hash is 0x{h}", False),
    ("txid: {h}", False),
    ("交易哈希 {h}", False),
    ("el hash de la transacción es 0x{h}", False),
    ("https://etherscan.io/tx/0x{h}", False),
    ("https://tronscan.org/#/transaction/{h}", False),
    ("{h}", True),  # a bare hash, right after the bot asked for one
    ("0x{h}", True),
    ("0x{h}", False),  # an EVM hash out of the blue: 0x means hash unless called a key
]
ADDRESS_FRAMES = [
    "send to {a}",
    "收款地址 {a}",
    "mi dirección es {a}",
    "{a}",
]
LOOKALIKES = [
    "my order number is 2024112300012345678",
    "the colour is #ff8800 and #00ff00",
    "call me at 13800138000",
    "amount 0.00012345 BTC at block 19234567",
    "reference 9F2C-88AA-1B3D-77E0",
    "uuid 550e8400-e29b-41d4-a716-446655440000",
    "the app version is 5.12.3 build 20241120",
    "I paid 1,234,567.89 USDT for 12 items",
    "my phone model is iPhone 15 Pro Max 256GB",
    "0x1234 was the nonce and gas 21000",
]
ORDINARY = [
    "I forgot my wallet password, what do I do?",
    "my USDT has not arrived after two hours",
    "how do I back up my wallet",
    "what are your support hours",
    "can you help me with a transaction dispute",
    "the seller never delivered the goods",
    "why is my account locked",
    "how much is the network fee on TRON",
    "I want to talk to a human agent please",
    "where do I find my transaction history",
    "我的USDT转账一直没有到账，请帮我查一下",
    "忘记钱包密码了怎么办",
    "客服几点上班",
    "怎么备份助记词比较安全",
    "我想投诉，处理太慢了",
    "转账选错网络了还能找回吗",
    "¿cuál es el horario de atención?",
    "olvidé mi contraseña de la billetera",
    "mi transferencia no ha llegado",
    "quiero hablar con un agente",
    "¿cómo hago una copia de seguridad de mi frase?",
    "never share your phrase with anyone, right?",
    "I have a question about the account balance and the transfer fee",
    "please check my account, the balance is wrong since yesterday morning",
    "what should I do if someone asks for my recovery phrase",
]


def cases(seed: int = 39) -> list[Case]:
    rng = random.Random(seed)
    out: list[Case] = []
    for language in LANGUAGES:
        for strength in (128, 160, 192, 224, 256):
            for frame in PHRASE_FRAMES[:4]:
                phrase = _phrase(rng, language, strength)
                out.append(Case(frame.format(p=phrase), True, "phrase"))
            if language.startswith("chinese"):
                for frame in HAN_UNSPACED:
                    phrase = _phrase(rng, language, strength).replace(" ", "")
                    out.append(Case(frame.format(p=phrase), True, "phrase"))
        for _ in range(6):  # damaged: one word misspelled, or one dropped
            words = _phrase(rng, language, 128).split()
            if language.startswith("chinese"):
                words[rng.randrange(12)] = "囧"
                out.append(Case(" ".join(words), True, "phrase_damaged"))
            else:
                i = rng.randrange(12)
                words[i] = words[i][:-1] + ("x" if words[i][-1] != "x" else "z")
                out.append(Case(" ".join(words), True, "phrase_damaged"))
                del words[rng.randrange(12)]
                out.append(Case(" ".join(words), True, "phrase_damaged"))
        for strength in (128, 192, 256):
            for frame in GLUED:
                phrase = _phrase(rng, language, strength)
                if language.startswith("chinese"):
                    phrase = phrase.replace(" ", "")
                out.append(Case(frame.format(p=phrase), True, "phrase_in_sentence"))
    for frame in PHRASE_FRAMES[4:]:
        out.append(Case(frame.format(p=_phrase(rng, "english", 256)), True, "phrase"))
    for _ in range(8):
        out.append(Case(_hex(rng), True, "key"))
        out.append(Case(f"private key 0x{_hex(rng)}", True, "key"))
        out.append(Case(f"我的私钥是 {_hex(rng)}", True, "key"))
        out.append(Case(_wif(rng, compressed=rng.random() < 0.5), True, "key"))
        out.append(Case(f"here is my xprv: {_xprv(rng)}", True, "key"))
    for _ in range(6):
        keystore = {
            "address": _evm_address(rng)[2:],
            "crypto": {
                "cipher": "aes-128-ctr",
                "ciphertext": _hex(rng),
                "cipherparams": {"iv": _hex(rng)[:32]},
                "kdf": "scrypt",
                "kdfparams": {"dklen": 32, "n": 262144, "p": 1, "r": 8, "salt": _hex(rng)},
                "mac": _hex(rng),
            },
            "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
            "version": 3,
        }
        out.append(Case(f"my keystore file: {json.dumps(keystore)}", True, "keystore"))
    for _ in range(5):
        for frame, expected in HASH_FRAMES:
            out.append(Case(frame.format(h=_hex(rng)), False, "hash", hash_expected=expected))
        for frame in ADDRESS_FRAMES:
            out.append(Case(frame.format(a=_evm_address(rng)), False, "address"))
            out.append(Case(frame.format(a=_tron_address(rng)), False, "address"))
    out += [Case(text, False, "lookalike") for text in LOOKALIKES]
    out += [Case(text, False, "ordinary") for text in ORDINARY]
    out += [Case(text, False, "ordinary_zh") for text in ORDINARY_ZH]
    return out


@dataclass(frozen=True)
class Split:
    pieces: list[str]  # the messages, in order
    language: str
    size: str  # "2", "3", or "2/3" (alternating)


def _cut(words: list[str], sizes: list[int]) -> list[str]:
    pieces, k, n = [], 0, 0
    while k < len(words):
        size = sizes[n % len(sizes)]
        pieces.append(" ".join(words[k : k + size]))
        k, n = k + size, n + 1
    return pieces


def split_cases(seed: int = 17) -> list[Split]:
    """Phrases of 12 and 24 words in all four lists, sent two, three, or two and three
    words at a time (Chinese ones spaced, one character per word, as the lists write
    them). The last piece may be a single word."""
    rng = random.Random(seed)
    out: list[Split] = []
    for language in LANGUAGES:
        for strength in (128, 256):
            for name, sizes in (("2", [2]), ("3", [3]), ("2/3", [2, 3])):
                words = _phrase(rng, language, strength).split()
                out.append(Split(_cut(words, sizes), language, name))
    return out
