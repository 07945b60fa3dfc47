import time
from collections import defaultdict
from tests.web.test_query_fuzz import QUERIES, _pages, BAD_IDS, fuzz_world  # noqa
from flask import url_for

def test_prof(app, client, login_as, fuzz_world, db):
    w = fuzz_world
    tot = defaultdict(float)
    n = 0
    for role in ["admin", "cadre"]:
        user = getattr(w, role)
        login_as(user)
        for endpoint, url, values in _pages(app, db, w, user):
            t = time.perf_counter()
            for q in QUERIES:
                client.get(url, query_string=q); n += 1
            tot[(role, endpoint)] += time.perf_counter() - t
    for k, v in sorted(tot.items(), key=lambda kv: -kv[1])[:25]:
        print(k, round(v, 2))
    print("n", n, "total", sum(tot.values()))
