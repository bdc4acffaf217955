"""Personal data in customer text: phone numbers, e-mail addresses, 身份证 numbers, bank cards and street addresses,
found and masked in Chinese and English. Order and tracking numbers stay visible. Standard library only, so any
environment (the console, the action server, log handlers) can use it."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass

KINDS = ("phone", "email", "id_number", "bank_card", "address")

_CJK = "\u4e00-\u9fff"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 18 digits: region, birth date, sequence, check digit (verified below, so a date-like order number is not one).
_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
                 r"(?![0-9A-Za-z])")
# 13-19 digits, bare or in groups; kept only with a card network's prefix and a valid Luhn digit.
_CARD = re.compile(r"(?<![0-9A-Za-z])\d{4}(?:[ -]?\d){9,15}(?![0-9A-Za-z])")
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|35|62|60|65|9)")
_PHONES = [
    # Chinese mobiles: 1[3-9] and 9 more digits, optionally +86 and grouped 3-4-4.
    re.compile(r"(?:(?:\+|00)86[ -]?)?(?<![0-9A-Za-z])1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9A-Za-z])"),
    # Chinese landlines: an area code with brackets or a separator, then 7-8 digits.
    re.compile(r"(?<![0-9A-Za-z])(?:\(0\d{2,3}\) ?|0\d{2,3}[ -])\d{3,4}[ -]?\d{4}(?:-\d{1,4})?(?![0-9A-Za-z])"),
    # International with a +: 8-15 digits in groups.
    re.compile(r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?![0-9A-Za-z])"),
    # North American without +1: (415) 555-0132, 415-555-0132, 415.555.0132.
    re.compile(r"(?<![0-9A-Za-z])(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![0-9A-Za-z])"),
    # Any other national format (07700 900123, 0412 345 678) right after a word that says it is a phone number.
    re.compile(r"(?:phone|number|call|tel|mobile|cell|whatsapp|电话|手机|号码|联系|致电)\D{0,12}?"
               r"(?P<number>(?<![0-9A-Za-z])\+?\d[\d ()-]{6,16}\d)(?![0-9A-Za-z])", re.IGNORECASE),
]
# A number right after these words is the order's, not a phone: 订单13912345678 stays visible.
_NOT_PHONE = re.compile(r"(?:order|invoice|tracking|parcel|coupon|订单|发票|运单|快递|单|券)\s*$", re.IGNORECASE)
_ORDER_CONTEXT = re.compile(r"(?:订单|单号|order|#|No\.?)\s*[:：号]?\s*$", re.IGNORECASE)

_ZH_NUM = "0-9一二三四五六七八九十百零〇"
_ZH_ADDRESS = re.compile(
    rf"(?:[{_CJK}]{{2,8}}?(?:省|自治区|特别行政区|市|区|县|旗|镇|乡|街道|开发区|新区))*"
    rf"[{_CJK}A-Za-z0-9]{{1,8}}?(?:路|街|大街|大道|道|巷|弄|胡同|里)(?:[{_ZH_NUM}]段)?"
    rf"[{_ZH_NUM}]+(?:-[0-9]+)?号(?:院|楼)?"
    rf"(?:[{_CJK}A-Za-z0-9-]{{0,12}}?(?:栋|幢|座|单元|层|楼|室|号|户|广场|大厦|中心|商场|花园|公寓|小区|大楼))*"
    rf"|(?:[{_CJK}]{{2,8}}?(?:省|自治区|市|区|县))+[{_CJK}]{{2,10}}?(?:小区|花园|公寓|新村|大厦|广场|苑|院)"
    rf"[0-9A-Za-z一二三四五六七八九十-]+(?:栋|幢|座|号楼)(?:[0-9A-Za-z-]+(?:单元|层|楼|室|号))*"
)
# Words customers put before an address, cut from the front of a match.
_ZH_LEAD = re.compile(r"^.*(?:地址|寄到|送到|发到|改到|改成|改为|换成|搬到|住在|我在|位于|是|为|在|到|：|:)")
_EN_STREET = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Parkway|Pkwy|"
              r"Terrace|Circle|Highway|Hwy|Square|Sq|Loop|Crescent|Close|Row|Walk")
_EN_ADDRESS = re.compile(
    r"(?:(?:Room|Rm|Flat|Unit|Apt|Suite)\.? ?#?[0-9A-Za-z-]+, ?)?(?:(?:Tower|Building|Block|Bldg)\.? ?[0-9A-Za-z]+, ?)?"
    r"(?:No\. ?)?\b\d{1,6}[A-Za-z]?(?:-\d+)? (?:(?:[A-Z][A-Za-z'.-]*\.? ){0,4}(?:" + _EN_STREET
    + r")\b\.?(?: [NSEW]\b)?"
    r"|(?:Rue|Via|Calle|Avenida|Avenue|Boulevard) (?:[A-Za-z'-]+ ){0,3}[A-Z][A-Za-z'-]+)"
    r"(?:,? ?(?:Apt|Apartment|Suite|Ste|Unit|Room|Rm|Flat|Floor|Fl)\.? ?#?[0-9A-Za-z-]+)?"
    r"(?:, ?[A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*){0,3}){0,3}(?:,? [A-Z]{2})?"
    r"(?: \d{5}(?:-\d{4})?| [A-Z0-9]{2,4} [A-Z0-9]{3})?(?:,? \d{4,5} [A-Z][A-Za-z]+(?:, [A-Z][A-Za-z]+)?)?"
)


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is in the text."""

    kind: str
    start: int
    end: int
    value: str


def _normalise(text: str) -> str:
    # Full-width digits and brackets to ASCII, one character for one, so positions stay those of the original.
    return "".join(n if len(n := unicodedata.normalize("NFKC", c)) == 1 else c for c in text)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _id_checksum(number: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def _candidates(text: str) -> list[Finding]:
    found: list[Finding] = []

    def add(kind: str, start: int, end: int) -> None:
        found.append(Finding(kind, start, end, text[start:end]))

    for m in _EMAIL.finditer(text):
        add("email", m.start(), m.end())
    for m in _ID.finditer(text):
        if _id_checksum(m.group()):
            add("id_number", m.start(), m.end())
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and _luhn(digits):
            add("bank_card", m.start(), m.end())
    for pattern in _PHONES:
        for m in pattern.finditer(text):
            start, end = m.span("number") if "number" in pattern.groupindex else m.span()
            value = text[start:end]
            if value.isdigit() and _ORDER_CONTEXT.search(text[max(0, start - 12):start]):
                continue
            if "number" in pattern.groupindex and _NOT_PHONE.search(text[max(0, m.start() - 12):m.start()]):
                continue  # "order number 2023…", 发票号码 04403210
            if sum(ch.isdigit() for ch in value) >= 7:
                add("phone", start, end)
    for m in _ZH_ADDRESS.finditer(text):
        lead = _ZH_LEAD.match(m.group())
        start = m.start() + (lead.end() if lead and lead.end() < len(m.group()) - 3 else 0)
        add("address", start, m.end())
    for m in _EN_ADDRESS.finditer(text):
        add("address", m.start(), m.end())
    return found


def find(text: str) -> list[Finding]:
    """The personal data in `text`, in order; overlapping finds keep the longest."""
    if not text:
        return []
    normal = _normalise(text)
    kept: list[Finding] = []
    for f in sorted(_candidates(normal), key=lambda f: (-(f.end - f.start), f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(Finding(f.kind, f.start, f.end, text[f.start:f.end]))
    return sorted(kept, key=lambda f: f.start)


def _masked(finding: Finding, cjk: bool) -> str:
    value = finding.value
    if finding.kind == "address":
        return "[地址]" if cjk else "[address]"
    if finding.kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    # Numbers keep their last four digits (what people read back to confirm) and their separators.
    digits = [i for i, ch in enumerate(value) if _normalise(ch).isdigit() or ch in "Xx"]
    keep = set(digits[-4:])
    return "".join(ch if (i in keep or i not in digits) else "*" for i, ch in enumerate(value))


# Texts up to this long are masked once and remembered: the desk shows the same summaries and transcripts on every
# read of the queue (each open desk, every few seconds), and masking them again was most of a queue read's cost.
CACHED_MAX_CHARS = 1000


def mask(text: str) -> str:
    """`text` with its personal data masked: *******5678, z***@example.com, [地址]/[address]."""
    return _mask_remembered(text) if len(text) <= CACHED_MAX_CHARS else _mask(text)


@functools.lru_cache(maxsize=4096)
def _mask_remembered(text: str) -> str:
    return _mask(text)


def _mask(text: str) -> str:
    findings = find(text)
    if not findings:
        return text
    cjk = bool(re.search(f"[{_CJK}]", text))
    out, last = [], 0
    for f in findings:
        out += [text[last:f.start], _masked(f, cjk)]
        last = f.end
    out.append(text[last:])
    return "".join(out)


class RedactingFilter(logging.Filter):
    """A log filter that masks personal data in each record's message, so log files never hold it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the formatted message in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem; leave the record alone
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
