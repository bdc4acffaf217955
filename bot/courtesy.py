"""Greetings, fillers and courtesies around a request: "在吗 我要取消订单", "请问一下 退货地址", "cancel pls".

Pure Python (both environments import it; KB-aware routing in bot/routing.py uses it). A customer's first message
often wraps the request in a greeting ("你好", "在吗", "hi"), a filler ("请问", "我想问一下", "亲", "quick
question") or a closing courtesy ("谢谢", "thanks", "pls"), and Rasa's classifier may hear only the wrapping:
"在吗 我要取消订单" as a greeting. Routing then looks at the request inside.

Only routing reads the request: measured on the colloquial dev set, handing the trimmed text to the classifier and
the knowledge base instead lost more than it won (the tuned knowledge base reads fillers well; the classifier read
some trimmed questions as other dialogue acts).

Nothing is cut unless a request of its own remains: "你好" and "你好吗" stay greetings, "谢谢" stays thanks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Separators that may follow a greeting or a filler: spaces, commas, stops, tildes, colons, dashes, ellipses.
_SEP = r"[\s,，.。!！~～:：;；、…\-—]*"
_OPENERS = (
    # Greetings. "你好" but not "你好像"; "在吗" and "在不在"; a greeting to the agent ("客服你好").
    r"(客服|小二|掌柜的?|老板|店家)?(你好|您好)(?!像)(呀|啊|哇|哈)?",
    r"(哈喽|哈啰|嗨|嘿|hello|hi|hey|hiya|heya|yo|morning|good (morning|afternoon|evening))(\s+there)?(?![a-z'])",
    r"在(吗|么|嘛|不在|不)(\?|？)?|有人(吗|么|在吗|在不)(\?|？)?",
    r"(早上|上午|中午|下午|晚上)好(呀|啊)?",
    # Small talk that is itself a greeting ("how are you doing today?", "最近好吗").
    r"(how are (you|u|ya)( doing)?( today)?|how'?s it going|what'?s up|(你|您)(最近)?好吗|最近(怎么样|好吗))[?？]?",
    # 亲 is a shop's "dear": cut only when something follows it as its own phrase ("亲，…", "亲 请问", "亲我想…").
    r"亲(爱的)?(亲)?(?=[\s,，.。!！~～:：、]|[我请问在想能可你您有])",
    # Fillers that announce a question.
    r"(我)?(想|要)?(请问|问问|问下|问一下|问一问|咨询(一)?下?|请教(一)?下?)(一下|下)?(哈|哦|啊|呀)?",
    r"(我)?(想|要)(问|咨询|了解|请教)(个|一个)?(事|事情|问题)?(一下|下)?",
    r"麻烦(问)?(一)?(下|问)|打扰(一下|下|了)|不好意思(打扰了?)?",
    r"(excuse me|sorry to bother( you)?|quick question|just a quick question|question|um+|uh+)(?![a-z'])",
)
_CLOSERS = (
    r"(谢谢|多谢|感谢|谢啦|谢了|3q|thx|thanks|thank you|ty|pls|please|plz|cheers)(你|您|哈|啊|呀|啦|了|亲)*",
    # Particles that soften, not ask (呢, 吗 and 嘛 ask: "发票呢" is a question and keeps them).
    r"(呀|啊|哈|哦|捏|鸭|哇|啦)+",
)
OPENER = re.compile(r"^(" + "|".join(_OPENERS) + r")" + _SEP, re.IGNORECASE)
CLOSER = re.compile(_SEP + r"(" + "|".join(_CLOSERS) + r")" + _SEP + r"$", re.IGNORECASE)
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[A-Za-z]+|\d+")
_ASKS = re.compile(r"[?？]|吗|么|呢|怎|咋|如何|哪|什么|啥|几|多少|多久|能不能|可不可以|可以|能否|是否|为什么|为啥"
                   r"|\b(how|what|why|when|where|which|who|can|could|do|does|did|is|are|will|would|should)\b",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Trimmed:
    """The request, and what was cut before and after it."""

    request: str
    opener: str = ""
    closer: str = ""

    @property
    def changed(self) -> bool:
        """True when anything was cut."""
        return bool(self.opener or self.closer)


def is_request(text: str) -> bool:
    """True when `text` could be a request of its own: two Han characters, or two words, of which something is
    more than another greeting or filler."""
    han, words = len(_HAN.findall(text)), len(_WORD.findall(text))
    if han < 2 and han + words < 2:
        return False
    rest = text
    while (m := OPENER.match(rest)) and m.end() > 0:  # a greeting after a greeting ("在吗 有人吗") is no request
        rest = rest[m.end():]
    return bool(_HAN.search(rest) or _WORD.search(rest))


def is_substantial(text: str) -> bool:
    """True when `text` says more than "好的" or "ok" would: a question, four Han characters or three words (a
    courtesy after a short reply is part of the reply: "好的谢谢" is thanks)."""
    han, words = len(_HAN.findall(text)), len(_WORD.findall(text))
    return is_request(text) and (bool(_ASKS.search(text)) or han >= 4 or han + words >= 3)


def trim(text: str) -> Trimmed:
    """The request inside greetings, fillers and closing courtesies; the text as it is when nothing else remains."""
    request, opener, closer = text.strip(), "", ""
    while (m := OPENER.match(request)) and m.end() > 0 and is_request(request[m.end():]):
        opener += request[:m.end()]
        request = request[m.end():]
    while (m := CLOSER.search(request)) and m.start() > 0 and is_substantial(request[:m.start()]):
        closer = request[m.start():] + closer
        request = request[:m.start()]
    return Trimmed(request.strip(), opener.strip(), closer.strip())
