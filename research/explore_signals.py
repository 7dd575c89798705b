#!/usr/bin/python3
"""Explore hit rate@25 of discovery signals the job does not have, under the last-basket protocol.

    research/explore_signals.py [ORDERS_CSV_GZ]    (default ../shared/data/online-retail/orders.csv.gz)

Issue 5 asks discovery to reach 1.5 x the explore hit rate of popular products the customer has not bought. The job's
evaluation (`--evaluate last-basket`) measures the signals it has; this script measures, on the same split, signals it
does not have, to see whether any of them would close the gap before building it into the job:

- popular-new: time-decayed popularity (half-life 30 days, 365-day window, as the job), minus the customer's history;
  the reference, within 0.01 of the job's figure (the job counts the same baskets, its tie order differs);
- popular-new with half-life 14 and 7 days (what sells this week);
- transitions: products bought new in the basket after one containing each product of the customer's last 1-3
  baskets (a first-order Markov chain over baskets, as FPMC-style next-basket models use);
- item-kNN: cosine similarity of products over their buyers, applied to the customer's time-decayed purchases;
- user-kNN: the 50 customers most similar by cosine of time-decayed purchase vectors, and their vectors
  (the neighbour half of TIFU-KNN, Hu et al., SIGIR 2020);
- EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): the item-item weights
  B = I - P diag(1 / diag P), P = (X'X + lambda I)^-1, diagonal forced to 0, applied to the customer's 0/1 purchase
  row; X'X from order counts or from time-decayed orders.
- next-new: a regression from what a customer had bought before each order to what that order bought new,
  B = (X'WX + lambda I)^-1 X'WY, one row per order (after the first) with a product new to the customer, the row
  weighted by the order's recency; applied to the customer's 0/1 purchase row (the job's `NextNew`); alone and
  blended with EASE, each scaled by the customer's best score.

Each list is topped up with popular-new when short. Split as the job's evaluator: a basket is the distinct products of
one order_id; each customer's baskets ordered by earliest ts, then order_id; customers with 3 to 50 baskets; the last
basket is the test, everything else (every customer's other orders) the history. Explore items: test products not in
the customer's history; the hit rate counts customers with at least one, hit by the top 25.

Needs python3-pandas and python3-scipy (Debian packages; .ci/notebooks installs pandas). About two minutes.
"""

import collections
import os
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

K = 25
start = time.time()
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "online-retail", "orders.csv.gz")
orders = pd.read_csv(path, dtype={"order_id": str, "customer_id": str, "product_id": str})
orders["ts"] = pd.to_datetime(orders["ts"])

baskets = (orders.groupby(["customer_id", "order_id"]).agg(ts=("ts", "min")).reset_index()
           .sort_values(["customer_id", "ts", "order_id"]))
baskets["n"] = baskets.groupby("customer_id").cumcount()
baskets["count"] = baskets.groupby("customer_id")["order_id"].transform("size")
evaluated = baskets[(baskets["count"] >= 3) & (baskets["count"] <= 50)]
test_keys = set(zip(*[evaluated[evaluated.n == evaluated["count"] - 1][c] for c in ("customer_id", "order_id")]))
in_test = np.array([(c, o) in test_keys for c, o in zip(orders.customer_id, orders.order_id)])
history, test = orders[~in_test], orders[in_test]
cutoff = history.ts.max()
bought = history.groupby("customer_id")["product_id"].agg(set).to_dict()
explore = {c: s - bought.get(c, set()) for c, s in test.groupby("customer_id")["product_id"].agg(set).items()}
explore = {c: s for c, s in explore.items() if s}
age_days = (cutoff - history.ts).dt.total_seconds().to_numpy() / 86400
print(f"{path}: {len(test_keys)} customers with 3-50 baskets, {len(explore)} with explore items in their last basket")


def hit_rate(lists):
    return sum(1 for c, s in explore.items() if any(p in s for p in lists.get(c, [])[:K])) / len(explore)


def popular(half_life):
    weight = np.power(2.0, -age_days / half_life)
    weight[age_days > 365] = 0
    per_order = history.assign(w=weight).groupby(["order_id", "product_id"]).w.first()
    return list(per_order.groupby("product_id").sum().sort_values(ascending=False).index[:400])


POPULAR = popular(30)


def popular_new(c, ranking=POPULAR):
    h = bought.get(c, set())
    return [p for p in ranking if p not in h][:K]


def topped_up(c, ranked):
    return ranked + [p for p in popular_new(c) if p not in ranked][:K - len(ranked)] if len(ranked) < K else ranked


results = [("popular-new (half-life 30 d, the job's)", hit_rate({c: popular_new(c) for c in explore}))]
for hl in (14, 7):
    ranking = popular(hl)
    results.append((f"popular-new, half-life {hl} d", hit_rate({c: popular_new(c, ranking) for c in explore})))

# Transitions: for each product a, the products bought new (first time for that customer) in the basket after one
# holding a, over every customer's consecutive history baskets; scored P(j new next | a now).
history_baskets = (history.groupby(["customer_id", "order_id"])
                   .agg(ts=("ts", "min"), items=("product_id", lambda s: set(s))).reset_index()
                   .sort_values(["customer_id", "ts", "order_id"]))
follows, seen_as_source = collections.defaultdict(collections.Counter), collections.Counter()
last_baskets = {}
for c, g in history_baskets.groupby("customer_id", sort=False):
    seen, previous = set(), None
    for items in g["items"]:
        if previous is not None:
            new = items - seen
            for a in previous:
                seen_as_source[a] += 1
                if new:
                    follows[a].update(new)
        seen |= items
        previous = items
    last_baskets[c] = list(g["items"])[-3:]
for recent in (1, 2, 3):
    lists = {}
    for c in explore:
        h, score = bought.get(c, set()), collections.Counter()
        for distance, basket in enumerate(reversed(last_baskets.get(c, [])[-recent:])):
            for a in basket:
                for j, n in follows[a].items():
                    if j not in h:
                        score[j] += n / seen_as_source[a] * 0.5 ** distance
        lists[c] = topped_up(c, [p for p, _ in score.most_common(K)])
    results.append((f"transitions from the last {recent} basket(s)", hit_rate(lists)))

# Item-kNN and user-kNN on customer x product matrices (decayed weights: sum over orders of 2^(-age / half-life)).
customers = sorted(history.customer_id.unique())
products = sorted(history.product_id.unique())
row = {c: i for i, c in enumerate(customers)}
col = {p: i for i, p in enumerate(products)}


def matrix(half_life):
    weight = np.power(2.0, -age_days / half_life) if half_life else np.ones(len(history))
    t = (history.assign(w=weight).groupby(["customer_id", "order_id", "product_id"]).w.first()
         .groupby(["customer_id", "product_id"]).sum().reset_index())
    return sp.csr_matrix((t.w.to_numpy(), ([row[c] for c in t.customer_id], [col[p] for p in t.product_id])),
                         shape=(len(customers), len(products)))


def unit_rows(m):
    norms = np.sqrt(np.asarray(m.multiply(m).sum(1)).ravel())
    norms[norms == 0] = 1
    return sp.diags(1 / norms) @ m


def lists_from(scores):
    lists = {}
    for c in explore:
        h = bought.get(c, set())
        v = np.asarray(scores[row[c]].todense()).ravel()
        best = np.argsort(-v)[:K + len(h) + 5]
        lists[c] = topped_up(c, [products[j] for j in best if v[j] > 0 and products[j] not in h][:K])
    return lists


for hl in (0, 30, 90):
    decayed = matrix(hl)
    by_buyers = unit_rows((decayed > 0).astype(np.float64).T.tocsr())
    similar_products = (by_buyers @ by_buyers.T).tocsr()
    similar_products.setdiag(0)
    label = "order counts" if hl == 0 else f"half-life {hl} d"
    results.append((f"item-kNN (cosine over buyers), {label}", hit_rate(lists_from((decayed @ similar_products).tocsr()))))
    unit = unit_rows(decayed)
    similar = (unit @ unit.T).toarray()
    np.fill_diagonal(similar, 0)
    keep = np.zeros_like(similar, dtype=bool)
    np.put_along_axis(keep, np.argpartition(-similar, 50, axis=1)[:, :50], True, axis=1)
    similar[~keep] = 0
    results.append((f"user-kNN (50, cosine of decayed vectors), {label}",
                    hit_rate(lists_from((sp.csr_matrix(similar) @ unit).tocsr()))))

# EASE: a dense product x product inverse (3,657 products of the history here: about 5 s each).
def ease(gram_from, lam):
    g = (gram_from.T @ gram_from).toarray()
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = p / -np.diag(p)
    np.fill_diagonal(b, 0)
    return b


def dense_lists(scores):
    lists = {}
    for c in explore:
        if c not in row:
            lists[c] = popular_new(c)
            continue
        h, v = bought.get(c, set()), scores[row[c]]
        best = np.argsort(-v)[:K + len(h) + 5]
        lists[c] = topped_up(c, [products[j] for j in best if products[j] not in h][:K])
    return lists


bought_rows = (matrix(0) > 0).astype(np.float64)
for hl, lam in ((0, 300), (30, 50), (30, 100), (30, 200), (14, 30)):
    label = "order counts" if hl == 0 else f"half-life {hl} d"
    results.append((f"EASE, X'X of {label}, lambda {lam}",
                    hit_rate(dense_lists(np.asarray(bought_rows @ ease(matrix(hl) if hl else bought_rows, lam))))))

# next-new: rows = a customer's orders after the first that buy something new; x = products bought before it,
# y = products it bought new; the row weighs 2^(-age of the order / half-life).
xr, xc, yr, yc, row_ages = [], [], [], [], []
for c, g in history_baskets.groupby("customer_id", sort=False):
    seen = set()
    for ts, items in zip(g.ts, g["items"]):
        new = items - seen
        if seen and new:
            xr += [len(row_ages)] * len(seen)
            xc += [col[p] for p in seen]
            yr += [len(row_ages)] * len(new)
            yc += [col[p] for p in new]
            row_ages.append((cutoff - ts).total_seconds() / 86400)
        seen |= items
shape = (len(row_ages), len(products))
before = sp.csr_matrix((np.ones(len(xr)), (xr, xc)), shape=shape)
bought_new = sp.csr_matrix((np.ones(len(yr)), (yr, yc)), shape=shape)


def next_new(lam, half_life):
    weighted = sp.diags(np.power(2.0, -np.array(row_ages) / half_life)) @ before
    g = (before.T @ weighted).toarray()
    g[np.diag_indices_from(g)] += lam
    return np.linalg.solve(g, (weighted.T @ bought_new).toarray())


def scaled(scores):
    """Each customer's scores of products not bought, divided by the best of them (as the job's blend)."""
    s = np.where(bought_rows.toarray() > 0, -np.inf, scores)
    best = np.max(np.where(np.isfinite(s), np.abs(s), 0), axis=1, keepdims=True)
    return np.where(np.isfinite(s), s / np.where(best > 0, best, 1), -1e9)


ease_scores = scaled(np.asarray(bought_rows @ ease(matrix(30), 100)))
for lam, hl in ((1000, 30), (1000, 90)):
    scores = scaled(np.asarray(bought_rows @ next_new(lam, hl)))
    results.append((f"next-new, lambda {lam}, half-life {hl} d", hit_rate(dense_lists(scores))))
    results.append((f"  0.6 EASE (half-life 30 d, lambda 100) + 0.4 next-new",
                    hit_rate(dense_lists(0.6 * ease_scores + 0.4 * scores))))

reference = results[0][1]
print(f"\n{'signal':58s} {'explore HR@25':>13s} {'x popular-new':>13s}")
for name, value in results:
    print(f"{name:58s} {value:13.3f} {value / reference:13.2f}")
print(f"\n({time.time() - start:.0f} s)")
