"""Locust: 10 users asking for one page (BENCH_PAGE, an index into plan.json),
signed in with the page's session cookie, each waiting on average BENCH_WAIT
seconds between requests (1 s: a person clicking every second, far faster than
anyone reads a page; 0: ten requests always in flight). The wait is random
(half to one and a half times the average) so that the users do not stay in
step, all ten asking at the same instant."""

import json
import os

from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["BENCH_PLAN"]).read())  # noqa: SIM115
PAGE = PLAN["pages"][int(os.environ["BENCH_PAGE"])]
SESSION = PLAN["sessions"].get(PAGE["who"])
WAIT = float(os.environ.get("BENCH_WAIT", "1"))
HEADERS = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy says
COOKIES = ([f"{PLAN['session_cookie']}={SESSION}"] if SESSION else []) + (
    [f"{PLAN['csrf_cookie']}={PLAN['csrf'][PAGE['who']]}"] if PAGE["who"] in PLAN.get("csrf", {}) else [])
if COOKIES:
    HEADERS["Cookie"] = "; ".join(COOKIES)


class PageUser(FastHttpUser):
    wait_time = between(WAIT / 2, WAIT * 1.5) if WAIT else constant(0)

    @task
    def page(self):
        with self.client.get(PAGE["url"], headers=HEADERS, name=PAGE["name"], allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
