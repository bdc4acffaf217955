"""KB-aware routing: the intent a customer message is handled as, from Rasa's intent ranking and the KB's signal.

Pure Python (both environments import it; the NLU component in bot/nlu/kb_router.py applies it). Rasa's intent
classifier sees words: "订单", "快递" or "order" pull a policy question towards the order form, a question asked
in anger towards the complaint reply, an unusual phrasing towards out-of-scope. The knowledge base sees meaning:
how well the message matches its best entry, and by how much ahead of the next one. Routing decides with both:

- dialogue acts (greetings, thanks, yes/no, a person, queue questions, button payloads, bare numbers) are left as
  Rasa classified them, unless the KB is sure of an answer and the act was a guess;
- the order form is for a customer who wants the status of their own order: they give an order number, or ask
  where or when it is; a question about a policy that merely mentions an order goes to the KB;
- a complaint the KB can answer is answered (`routed_from` keeps that it was a complaint, so the answer comes
  with an acknowledgement of the feeling);
- a shop question goes to the KB whatever Rasa guessed, so it is answered or honestly queued for review;
  clearly off-topic messages keep the out-of-scope reply, and gibberish the request to rephrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from bot.courtesy import trim

ASK = "ask_question"
ORDER = "check_order_status"
COMPLAIN = "complain"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
CHOOSE = "choose_faq"
ANSWER, CLARIFY, UNRESOLVED = "answer", "clarify", "unresolved"

# Intents the KB may take over. choose_faq typed as text (not a button payload) names no entry: it is a question.
ROUTABLE = {ASK, ORDER, COMPLAIN, OUT_OF_SCOPE, FALLBACK, CHOOSE}
# What the customer does rather than asks; the KB takes one over only when it is sure and Rasa was not.
DIALOGUE_ACTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "feedback_helpful", "feedback_not_helpful",
    "reject_choices", "ask_queue_position", "cancel_handoff", "leave_message", "rate", "send_media",
}
# Acts a long question is misheard as (greetings, thanks and goodbyes have their own test: unlike_its_act; yes/no
# answer the bot's own questions; "are you a bot?" is a question by nature).
ACTS_A_QUESTION_MAY_HIDE = {"feedback_helpful", "feedback_not_helpful", "reject_choices", "ask_queue_position",
                            "cancel_handoff", "leave_message", "rate"}
# Never taken over when the message names a person: the customer asked for one. Without a word for one, Rasa's
# request_human is a guess ("got a promo code from a flyer, where do i type it in") that the KB may overrule.
HUMAN = "request_human"
PROTECTED = {HUMAN}
# Acts that may wrap a request ("在吗 我要取消订单", "how do I cancel thanks"): the request inside decides.
WRAPPING_ACTS = {"greet", "thank", "goodbye"}

_HAN_OR_LETTER = re.compile(r"[A-Za-z\u3400-\u9fff]")
# What a status request is about: the order, the parcel, the delivery.
_ORDER_ZH = r"(订单|快递|包裹|物流|单子|运单|单号|货|东西|宝贝|(这|那|我的|下的|买的)单)"
_ORDER_EN = r"(orders?|packages?|parcels?|deliver(y|ies|ed)|shipments?|shipped|stuff|items?|purchases?|box|tracking)"
# The customer's own order or parcel ("我的快递", "我昨天买的", "my package", "I ordered").
_OWN = re.compile(
    r"我(的|[^，,。？?！!\s]{0,6}?(买|下单|下|订|定|拍|寄|网购|购买)的|家的?|这(个|单|边)|那(个|单))|俺的|本人的|咱的"
    r"|\b(my|mine|i|i've|ive|we|our|me)\b",
    re.IGNORECASE,
)
# Something the customer bought ("我昨天买的耳机", "the shoes I ordered").
_BOUGHT = re.compile(r"(买|下单|订购|拍|网购|购买)的|\bi (bought|ordered|purchased|got)\b",
                     re.IGNORECASE)
_HOW_TO = re.compile(
    # 怎么/咋 ask how, except "怎么还没到" (how come it still has not come).
    r"怎么(?!还|一直|都|没|不|回事|这么)|咋(?!还|一直|都|没|不|回事)|如何|怎样|(在|去)?哪(里|儿)?(能|可以)?(看|查|写|填|申请|开|改|设置|找|提交|评价|联系|下载|绑定|取消|退|撤)"
    r"|还(能|可以)(改|取消|撤|退|换|修改|开)|\bhow\b|\bwhere (can|do|should) i\b"
    r"|\bcan (i|we) (still )?(change|cancel|modify|update|edit|add|remove|return|exchange|get a refund)\b",
    re.IGNORECASE,
)
# A request to look the order up, or a question that is only ever about one's own order ("快递到哪了").
_EN_ORDER = r"(my|the|this|an|our) ([a-z]+ ){0,2}" + _ORDER_EN
_LOOKUPS = [
    # 帮我查一下快递 / 查查订单 / 跟踪包裹
    r"((帮我|帮忙|麻烦|请|给我)[^，,。？?！!]{0,2}?(查|看|跟踪|追踪)|(查|看|瞅)(一下|一查|查|看|下)|查|跟踪|追踪)"
    r"[^，,。？?！!]{0,6}?" + _ORDER_ZH,
    # 快递到哪了 / 单子发了没 / 我的包裹呢
    _ORDER_ZH + r"[^，,。？?！!]{0,4}?(到哪|在哪|哪儿了|哪里了|到了(吗|没|么)|走到哪"
    r"|(?<![漏错多少])发(货|出)?了(吗|没|么)|呢([?？!！。，,\s]|$))",
    # "到哪了" is only ever said of something on its way; "帮我看看" asks for a lookup.
    r"(到|在|走到)哪(儿|里)?(了|啦|呢)|(帮我|麻烦|给我|能不能|可以)[^，,。？?！!]{0,3}?(查|看|瞅)(一下|一查|查|看|下)?",
    r"\bwhere('?s| is| are) " + _EN_ORDER,
    r"\bwhere (my|the|our) ([a-z]+ ){0,2}" + _ORDER_EN + r" (is|are|has|have|got)\b",
    r"\b(track|check( on)?|look ?up|find|trace)( up)? " + _EN_ORDER,
    r"\bstatus (of|on) (my|the|this|our)\b|\b" + _ORDER_EN + r" status\b",
    r"\b(has|have|did) (my|the|our) ([a-z]+ ){0,2}" + _ORDER_EN + r" (been )?(ship|arriv|left|dispatch|sent|deliver)",
    r"\bwhen (will|does|is|do|would) " + _EN_ORDER + r"\b",
    r"\bwhat'?s (going on|happening|up) with " + _EN_ORDER,
    r"\bwill " + _EN_ORDER + r" (make it|arrive|come|get here|be (here|delivered))",
    # "my order still hasn't arrived", but not "the points from my order never showed up"
    r"(?<!from )(?<!of )(?<!for )(?<!on )\b(my|our) ([a-z]+ ){0,2}" + _ORDER_EN
    + r" (still )?(hasn'?t|has not|haven'?t|have not|isn'?t|is not|never|didn'?t|did not|not) (yet )?"
    r"(arriv|come|ship|show|been (delivered|shipped|sent)|here|turned up)",
    r"\b(tracking|in transit|courier)\b.*\bwhere('?s| is) it\b",
]
_LOOKUP = re.compile("|".join(_LOOKUPS), re.IGNORECASE)
# Asking where or when something is, or whether it has moved.
_STATUS_ZH = re.compile(
    r"到哪|在哪|哪儿了|哪里了|到了(吗|没|么)|还没(有)?(到|收到|发|送|来|寄|出库|揽收|动)|怎么还(没|不)|咋还(没|不)"
    r"|什么时候(能)?(到|发|送|寄|收|出库|派送)|啥时候(能)?(到|发|送|寄|收)|几(天|号|点)(能)?(到|发|送)"
    r"|多久(能|才|可以)?(到|发|送|收)|(发货|发出|寄出|出库|签收|派送)了(吗|没|么)|(?<![漏错多少])发了(吗|没|么)"
    r"|(状态|进度|动态|轨迹)|(一直|怎么|还)(没|不)(更新|动|发|到|来|送)"
    r"|(能|可以|会)[^，,。？?！!]{0,8}?(送到|(?<![看找用做想得])到|收到|寄到|发货|发出)(吗|么|不|没)"
)
_STATUS_EN = re.compile(
    r"\bwhere('?s| is| are)\b"
    r"|\bwhen (will|does|do|is|are|can|should|would)\b.*\b(arrive|ship|come|get|deliver|here|sent|dispatch)"
    r"|\btrack(ing)?\b|\bstatus\b|\beta\b|\bhas (it|my|the)\b.*\b(ship|arriv|sent|dispatch|left|deliver)"
    r"|\b(hasn'?t|has not|haven'?t|have not|not yet|still not|never|didn'?t|did not)\b"
    r".*\b(arriv|ship|come|receiv|got|get|deliver|show|here)"
    r"|\bstill waiting (on|for)\b|\bany (update|news)\b|\bupdate on\b|\bon (its|the) way\b|\bout for delivery\b"
    r"|\bwhen (my|the|our)\b.*\b(arrive|ship|come|deliver|get here|be here)",
    re.IGNORECASE,
)
_ORDER_WORD = re.compile(_ORDER_ZH + r"|\b" + _ORDER_EN + r"\b", re.IGNORECASE)
# What a greeting, thanks or goodbye says; without any of it, Rasa's guess of one is not a clear dialogue act.
_ACT_WORDS = {
    "greet": re.compile(r"你好|您好|哈喽|哈啰|嗨|在吗|在不在|在么|有人吗|有人在|早上好|上午好|下午好|晚上好|早安|"
                        r"\b(hi|hello|hey|hiya|morning|evening|afternoon|yo)\b", re.IGNORECASE),
    "thank": re.compile(r"谢|感谢|多谢|辛苦|\b(thanks?|thx|ty|cheers|appreciated?)\b", re.IGNORECASE),
    "goodbye": re.compile(r"再见|拜拜|拜|回头见|晚安|下次见|\b(bye|goodbye|see (you|ya)|good ?night|later)\b",
                          re.IGNORECASE),
}
# An attempt at giving the order number ("订单号是12345", wrong or not): for the order form to check, not the KB.
_NUMBER_GIVEN = re.compile(r"(订单号|单号|order (number|no\.?|#))\s*(是|为|:|：|is)?\s*[A-Za-z]{0,2}\d{4,}",
                           re.IGNORECASE)
_QUESTION = re.compile(
    r"[?？]|吗|么|呢|怎么|咋|如何|能不能|可不可以|可以|能否|是否|为什么|为啥|多久|多少|多[长大重高宽远厚贵]|哪|什么|啥"
    r"|几"
    # A-not-A ("管不管", "有没有") and a closing 不/没 ("能退不", "好了没") ask without a question mark.
    r"|(?P<a>[\u4e00-\u9fff])[不没](?P=a)|[\u4e00-\u9fff][不没][\s。.!！~～]*$"
    r"|\b(how|what|why|when|where|which|who|can|could|do|does|did|is|are|will|would|should|may)\b",
    re.IGNORECASE,
)


# A request for a person, or a complaint, inside a greeting ("你好 我要转人工", "hi, I want to complain").
_WANTS_PERSON = re.compile(
    r"人工|真人|转接|客服人员|\b(human|real person|an agent|a person|someone real|representative)\b", re.IGNORECASE)
_COMPLAINS = re.compile(r"投诉|举报|差评|\bcomplain(t|ts|ing)?\b", re.IGNORECASE)
# Any word for a person, an agent or a conversation with one: with one of these, request_human is never overruled.
_PERSON = re.compile(
    r"人|客服|转接|经理|主管|领导|店长|小二|掌柜|电话|打给|联系|"
    r"\b(human|person|people|agent|someone|somebody|anyone|representative|rep|manager|supervisor|staff|operator"
    r"|real|live|transfer|call|phone|talk|speak|chat with|contact)\b",
    re.IGNORECASE,
)
# Asking for something without a question form ("我要取消订单", "帮我退款", "I need a refund").
_WANTS = re.compile(r"我(要|想|需要|得)|帮(我|忙)|给我|麻烦|\b(i (want|need|would like|'d like)|please|help me)\b",
                    re.IGNORECASE)


# A question put to the shop itself ("你们有卖猫粮吗", "do you sell dog beds?"): whatever Rasa guessed, it is the
# shop's to answer or to queue.
_ASKS_THE_SHOP = re.compile(
    r"你们(店|家|这|那)?(有没有|有|卖|能|可以|支持|提供|接受|收|送|发|开|招)|贵(店|司)|蓝山"
    r"|\b(do|does|can|will|would) (you|u)( guys)? (sell|carry|have|offer|stock|ship|deliver|accept|take|make|hire)\b"
    r"|\b(your|ur) (shop|store|site|website|app|company)\b",
    re.IGNORECASE,
)


# A service only the shop provides, named: returns, exchanges, refunds, invoices, delivery, coupons, warranty,
# membership, and what the shop does with its customers' data. Rasa hears some of these as off-topic ("衣服不喜欢
# 能退吗" with no shop word) or as a request for a person ("I need the next size up"); named, and matched by the KB,
# they are the shop's questions. Single characters (退, 换) count only with a modal, so "退休" does not.
_SHOP_SERVICE = re.compile(
    r"退货|退款|退换|换货|换(个|一个|成|到)?(大|小)(一)?(码|号)|(能|可以|可不可以|能不能|怎么|咋)(退|换)|无理由"
    r"|发票|开票|运费|包邮|配送|优惠(券|码)|折扣码|兑换码|积分|会员|保修|质保|售后|维修|价保|保价|确认收货"
    r"|个人信息|隐私|手机号|电话号码|信息泄露|泄露.{0,6}信息"
    r"|\b(returns?|refunds?|exchanges?|swap|invoices?|receipts?|shipping|delivery|coupons?|promo(tion(al)?)? codes?"
    r"|discount codes?|vouchers?|warranty|repairs?|membership|loyalty points|privacy"
    r"|personal (data|information|details)"
    r"|(my|customers'?) (data|details|phone numbers?|numbers?)|confirm (the )?(receipt|delivery))\b",
    re.IGNORECASE,
)
# Confirming receipt ("在哪确认收货", "how do I confirm delivery"): the app's button and its policy (auto-confirmation,
# what it means for returns), not a question about where the parcel is.
_CONFIRM_RECEIPT = re.compile(
    r"确认收货|确认收到|点(了)?确认|\bconfirm(ing)? (the )?(receipt|delivery)\b"
    r"|\bconfirm (that )?(i|we)('ve| have)? (received|got)\b",
    re.IGNORECASE,
)
# Whether shipping reaches a place ("西藏能发货吗", "do you ship to Macau"): a delivery-policy question, not a
# status request, unless the customer's own order or purchase is named.
_SHIP_TO = re.compile(
    r"(能|可以|支持|给)(不能)?(发货|发|寄|送|配送)(到)?[^，,。？?\s]{0,6}(吗|么|不)"
    r"|(发|寄|送|配送)(得)?到[^，,。？?\s]{1,8}(吗|么|不|要|需要|多久|几天)"
    r"|\b(do|can|will|does) (you|u|it) (ship|deliver) (to|outside|abroad|overseas|internationally)\b",
    re.IGNORECASE,
)


def names_a_shop_service(text: str) -> bool:
    """True when the message names a service only the shop provides (returns, invoices, coupons, its data…)."""
    return bool(_SHOP_SERVICE.search(text))


def asks_the_shop(text: str) -> bool:
    """True for a question addressed to the shop ("do you sell…", "你们有…吗")."""
    return bool(_ASKS_THE_SHOP.search(text)) and is_question(text)


@dataclass(frozen=True)
class KbSignal:
    """What the knowledge base makes of a message (from the action server's /kb/signal)."""

    decision: str
    score: float
    margin: float
    faq_id: Optional[str] = None
    # True when the best entry scores at least the KB's "about the shop" threshold.
    shop: bool = False

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> KbSignal:
        """Read the endpoint's JSON."""
        return cls(str(data.get("decision") or UNRESOLVED), float(data.get("score") or 0.0),
                   float(data.get("margin") or 0.0), data.get("faq_id"), bool(data.get("shop")))


@dataclass(frozen=True)
class RoutingConfig:
    """Confidence levels above which Rasa's intent is trusted over the knowledge base."""

    # A dialogue act this sure (and this short) is left alone without asking the KB.
    act_confidence: float = 0.8
    act_max_chars: int = 10
    # A message this long is rarely just "thanks" or "yes": a plausible KB match (choices) is enough to take it.
    act_long_chars: int = 20
    # Rasa this sure of out_of_scope keeps it unless the KB would answer outright.
    off_topic_confidence: float = 0.9

    @classmethod
    def from_mapping(cls, config: Dict[str, Any]) -> RoutingConfig:
        """Pick this config's keys out of a component config."""
        return cls(**{k: type(getattr(cls, k))(v) for k, v in config.items() if k in cls.__dataclass_fields__})


@dataclass
class Route:
    """The intent to handle a message as, and why (kept in the message's parse data)."""

    intent: str
    reason: str
    routed_from: Optional[str] = None
    ask_kb: bool = True
    signals: List[str] = field(default_factory=list)


def has_words(text: str) -> bool:
    """True when the text has letters or Han characters (not just a number, emoji or punctuation)."""
    return bool(_HAN_OR_LETTER.search(text))


def order_status_cue(text: str, has_order_number: bool) -> str:
    """How plainly the customer asks for their own order's status: "strong" (an order number, "查一下我的快递",
    "where is my package"), "weak" (their order and a where/when word, but possibly about something else), or ""."""
    if has_order_number or _NUMBER_GIVEN.search(text):
        return "strong"
    if _HOW_TO.search(text) or _CONFIRM_RECEIPT.search(text):
        return ""
    if _SHIP_TO.search(text) and not _OWN.search(text) and not _BOUGHT.search(text):
        return ""
    # "帮我看看" on its own could be about anything; with an order or a purchase it is a lookup.
    if _LOOKUP.search(text) and (_ORDER_WORD.search(text) or _BOUGHT.search(text)):
        return "strong"
    if _BOUGHT.search(text) and (_STATUS_ZH.search(text) or _STATUS_EN.search(text)):
        return "weak"
    # Chinese leaves "my" out ("快递怎么还没到"); English says it ("my parcel hasn't arrived").
    if _STATUS_ZH.search(text) and _ORDER_WORD.search(text):
        return "weak"
    if _STATUS_EN.search(text) and _OWN.search(text) and _ORDER_WORD.search(text):
        return "weak"
    return ""


def wants_order_status(text: str, has_order_number: bool) -> bool:
    """True when the customer asks where or when their own order is, or gives an order number."""
    return bool(order_status_cue(text, has_order_number))


def is_question(text: str) -> bool:
    """True when the message asks something (a question mark, a question word, or 吗/呢)."""
    return bool(_QUESTION.search(text))


def text_width(text: str) -> int:
    """Length with a Chinese character counted twice (a Chinese sentence says as much in about half the characters)."""
    return sum(2 if "\u3400" <= ch <= "\u9fff" else 1 for ch in text)


def unlike_its_act(text: str, intent: str) -> bool:
    """True for a greeting, thanks or goodbye without a word of one ("你们招聘客服吗" read as a greeting)."""
    words = _ACT_WORDS.get(intent)
    return words is not None and not words.search(text)


def wrapped_request(text: str, intent: str) -> Optional[str]:
    """The request inside a greeting, thanks or goodbye that Rasa heard only as the act ("在吗 我要取消订单" →
    "我要取消订单"), or None."""
    if intent not in WRAPPING_ACTS:
        return None
    trimmed = trim(text)
    return trimmed.request if trimmed.changed else None


def names_a_person(text: str) -> bool:
    """True when the message has a word for a person, an agent or talking to one ("转人工", "a real person")."""
    return bool(_PERSON.search(text))


def needs_kb(text: str, intent: str, confidence: float, config: RoutingConfig) -> bool:
    """Whether the KB must be asked before routing this message (clear dialogue acts need not)."""
    if not text.strip() or text.startswith("/") or not has_words(text):
        return False
    if intent in PROTECTED:
        return not names_a_person(text)
    if intent in DIALOGUE_ACTS:
        return (confidence < config.act_confidence or len(text) > config.act_max_chars
                or unlike_its_act(text, intent) or wrapped_request(text, intent) is not None)
    return True


def route(text: str, intent: str, confidence: float, has_order_number: bool, kb: Optional[KbSignal],
          config: RoutingConfig) -> Route:
    """The intent to handle a message as."""
    if not needs_kb(text, intent, confidence, config):
        return Route(intent, "dialogue act" if intent in DIALOGUE_ACTS else "kept", ask_kb=False)
    if kb is None:
        # KB unreachable: Rasa alone decides, as before KB-aware routing existed.
        return Route(intent, "kb unavailable")
    cue = order_status_cue(text, has_order_number)
    sure = kb.decision == ANSWER
    matched = sure or kb.decision == CLARIFY
    # A plain status request starts the form. A weaker one ("还没发货，能改地址吗") does unless the KB is sure of
    # an answer: then it is a policy question about an order.
    status = cue == "strong" or (cue == "weak" and not sure)
    request = wrapped_request(text, intent)
    if request is not None:
        return route_wrapped(request, intent, has_order_number, kb)
    if intent == HUMAN:
        # No word for a person (needs_kb): what the KB is sure of, or a how-to it matches, is a question; "你们能不
        # 能处理一下" stays a request for someone to deal with it.
        if sure or (matched and (_HOW_TO.search(text) or names_a_shop_service(text))):
            return Route(ASK, "no person asked for: a question", intent)
        return Route(intent, "a person asked for")
    if intent in DIALOGUE_ACTS:
        if cue == "strong":
            return Route(ORDER, "own order status", intent)
        if unlike_its_act(text, intent) and (matched or kb.shop or is_question(text)):
            return Route(ASK, "not a greeting, thanks or goodbye: a question", intent)
        # A long message is rarely just "thanks" or "yes": there a plausible match is enough.
        long_text = len(text) > config.act_long_chars
        if intent in ACTS_A_QUESTION_MAY_HIDE and is_question(text) and text_width(text) > config.act_long_chars:
            # "the desk lamp from my last order, what wattage bulb does it take?" heard as cancel_handoff: a long
            # question is a question. During a hand-over the policy still acts on Rasa's act (routed_from).
            return Route(ASK, "a long question, not a dialogue act", intent)
        if not status and (sure or (long_text and matched)):
            return Route(ASK, "kb matches; not just a dialogue act", intent)
        return Route(intent, "dialogue act")
    if status:
        return Route(ORDER, "own order status", intent if intent != ORDER else None)
    if intent == ORDER:
        # Rasa hears "order" in a policy question too; with no sign of a status request, the KB decides.
        return Route(ASK, "mentions an order, asks no status", intent)
    if intent == OUT_OF_SCOPE:
        if sure or (confidence < config.off_topic_confidence and (matched or kb.shop)) or asks_the_shop(text):
            return Route(ASK, "a shop question", intent)
        if (matched or kb.shop) and names_a_shop_service(text):
            return Route(ASK, "names a shop service", intent)
        return Route(OUT_OF_SCOPE, "off-topic")
    if intent == COMPLAIN:
        # A complaint is about the shop; one that asks something gets the KB's answer, or its honest "not yet"
        # and a review row, with the feeling acknowledged first.
        if sure or is_question(text):
            return Route(ASK, "a complaint that asks about the shop", intent)
        # Venting, not asking: the complaint reply (which offers a person) fits better than the KB.
        return Route(COMPLAIN, "complaint")
    if intent == ASK:
        return Route(ASK, "a question")
    # nlu_fallback, or choose_faq typed as words: the KB decides whether it is a shop question at all; a question
    # gets its answer or its honest "not yet" (and a review row) rather than a request to rephrase.
    if matched or kb.shop or is_question(text):
        return Route(ASK, "kb: a shop question", intent)
    return Route(FALLBACK, "not understood")


def route_wrapped(request: str, intent: str, has_order_number: bool, kb: KbSignal) -> Route:
    """A request Rasa heard only as the greeting, thanks or goodbye around it: what the request asks for."""
    cue = order_status_cue(request, has_order_number)
    sure, matched = kb.decision == ANSWER, kb.decision in (ANSWER, CLARIFY)
    if cue == "strong" or (cue == "weak" and not sure):
        return Route(ORDER, "own order status, after a greeting", intent)
    asks_how = bool(_HOW_TO.search(request))
    if _WANTS_PERSON.search(request) and not asks_how:
        return Route(HUMAN, "a person asked for, after a greeting", intent)
    if _COMPLAINS.search(request) and not asks_how and not sure:
        return Route(COMPLAIN, "a complaint, after a greeting", intent)
    if matched or kb.shop or is_question(request) or _WANTS.search(request):
        return Route(ASK, "a request, after a greeting", intent)
    return Route(intent, "dialogue act")
