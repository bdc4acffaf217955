"""WeChat passive-reply latency: 20 concurrent WeChat users post signed text messages to the real Rasa server's
WeChat webhook (plaintext and safe mode) and time the passive reply.

    .venv/bin/python -m bench.wechat_latency [--users 20] [--messages 10]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.common import kefu_on_a_kb_copy, summarise_ms, table, write_result
from bot.channels.wechat.crypto import MessageCrypto, signature
from tests.support.wechat import FakeWeChat

TOKEN, APPID, SECRET, KEY = "bench-token", "wx-bench", "bench-secret", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
# What WeChat customers ask: FAQ questions, order look-ups, small talk.
QUESTIONS = ["你好", "退货运费谁出？", "我的订单 KF20231123018 到哪了", "发票怎么开", "how long does a refund take",
             "可以用花呗吗", "谢谢", "会员积分怎么用", "are you a robot?", "怎么修改收货地址"]


def main() -> int:
    """Run the users concurrently and print p50/p95 of the passive reply."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    args = parser.parse_args()
    crypto = MessageCrypto(TOKEN, KEY, APPID)
    fake = FakeWeChat(APPID, SECRET)
    try:
        with kefu_on_a_kb_copy("kefu-wechat-bench-", wechat_token=TOKEN, wechat_appid=APPID, wechat_secret=SECRET,
                               wechat_encoding_aes_key=KEY, wechat_api_base=fake.url) as settings:
            url = f"{settings.rasa_url}/webhooks/wechat/webhook"

            def post(client: httpx.Client, openid: str, text: str, safe: bool) -> tuple[float, bool]:
                ts = str(int(time.time()))
                xml = (f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>{openid}</FromUserName>"
                       f"<CreateTime>{ts}</CreateTime><MsgType>text</MsgType><Content><![CDATA[{text}]]></Content>"
                       f"<MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>")
                params = {"signature": signature(TOKEN, ts, "n"), "timestamp": ts, "nonce": "n"}
                body = xml
                if safe:
                    encrypted = crypto.encrypt(xml)
                    body = f"<xml><ToUserName>gh_bench</ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
                    params.update(encrypt_type="aes", msg_signature=signature(TOKEN, ts, "n", encrypted))
                started = time.monotonic()
                resp = client.post(url, params=params, content=body.encode())
                elapsed = time.monotonic() - started
                return elapsed, resp.status_code == 200 and resp.text != "success"

            def user(number: int) -> list[tuple[float, bool]]:
                openid = f"o-bench-{number}-{uuid.uuid4().hex[:6]}"
                with httpx.Client(timeout=30) as client:
                    post(client, openid, "你好", False)  # warm the conversation up; not measured
                    return [post(client, openid, QUESTIONS[(number + i) % len(QUESTIONS)], i % 2 == 1)
                            for i in range(args.messages)]

            with ThreadPoolExecutor(args.users) as pool:
                results = [r for rs in pool.map(user, range(args.users)) for r in rs]
    finally:
        fake.close()
    times = [t for t, _ in results]
    passive = sum(ok for _, ok in results) / len(results)
    result = {"users": args.users, "messages_each": args.messages, "passive_reply": summarise_ms(times),
              "answered_passively": round(passive, 4), "over_5s": sum(t > 5 for t in times)}
    path = write_result("wechat_latency", result)
    r = result["passive_reply"]
    print(f"\nWeChat webhook, {args.users} concurrent users x {args.messages} messages (half in safe mode)")
    print(table([("passive reply", f"p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  p99 {r['p99_ms']} ms"),
                 ("answered in the passive reply", f"{passive:.1%}"),
                 ("requests over WeChat's 5 s", result["over_5s"])]))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
