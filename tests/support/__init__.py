"""Helpers shared by the tests and the benchmarks: a fake WeChat API, desk and customer clients, the scripted
escalation conversations, and how to launch Chromium. Nothing here is a test; bench/ may import it."""
