#!/usr/bin/python3
"""A learned ranker over the discovery signals of explore_signals.py, under the same last-basket protocol.

    research/explore_ranker.py [ORDERS_CSV_GZ] [--train-splits N]   (default ../shared/data/online-retail/orders.csv.gz, N=1)

explore_signals.py shows that no single discovery signal reaches 1.5 x the explore hit rate@25 of popular-new (the
best, user-kNN, is about 1.18 x), and hand-tuned blends did not either. This script asks whether a blend LEARNED from
the data does: it generates candidates from every signal, describes each (customer, product) pair by the signals'
scores and ranks plus popularity, product and customer features, fits a logistic regression (numpy, gradient descent)
and, if sklearn is installed (Debian python3-sklearn), a HistGradientBoostingClassifier, and ranks the test candidates.

Splits. Baskets, the evaluated customers (3 to 50 baskets) and the ordering of a customer's baskets are those of
explore_signals.py (and of the job's evaluator). For k = 1, 2, ...: split k drops, for every evaluated customer, their
last k baskets from the history; the label basket is their k-th basket from the end; every other order (all of the
non-evaluated customers' orders and the evaluated customers' earlier baskets) is the history, and "now" (the decay
reference) is the latest ts in that history.
- test = split 1: exactly the split of explore_signals.py (history = all orders but evaluated customers' last baskets);
- training = split 2 (and 3 .. N+1 with --train-splits N): the test basket is not in the history, the labels or the
  features, so nothing of the test basket leaks into the model; the training label basket is the second-to-last one.
  (As in the test split, non-evaluated customers' orders are history whatever their date: the protocol is per
  customer, not a global time cut.) Split k >= 3 uses evaluated customers with at least k+1 baskets, so each has some
  history. Every feature of a split is computed on that split's history only.
Label of a (customer, product) candidate: the product is in the label basket and not in the customer's history
(an explore item). Only customers with at least one explore item in their label basket are trained on and evaluated,
as the hit rate counts only them.

Candidates per customer: the union of the top 100 products the customer has not bought from each signal (popular-new
with half-life 30/14/7 days, "new buyers in the last 30 days", transitions from the last 1 and last 3 baskets,
item-kNN with order counts and half-life 30 days, user-kNN with half-life 30 and 90 days).

Needs python3-numpy, python3-pandas, python3-scipy; python3-sklearn for the GBDT. A few minutes on one core.
"""

import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp

K, TOP = 25, 100
warnings.filterwarnings("ignore", message="Changing the sparsity structure")
start = time.time()
args = [a for a in sys.argv[1:] if not a.startswith("--")]
train_splits = int(sys.argv[sys.argv.index("--train-splits") + 1]) if "--train-splits" in sys.argv else 1
if "--train-splits" in sys.argv:
    args.remove(str(train_splits))
path = args[0] if args else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "online-retail", "orders.csv.gz")
orders = pd.read_csv(path, dtype={"order_id": str, "customer_id": str, "product_id": str})
orders["ts"] = pd.to_datetime(orders["ts"])

baskets = (orders.groupby(["customer_id", "order_id"]).agg(ts=("ts", "min")).reset_index()
           .sort_values(["customer_id", "ts", "order_id"]))
baskets["n"] = baskets.groupby("customer_id").cumcount()
baskets["count"] = baskets.groupby("customer_id")["order_id"].transform("size")
evaluated = baskets[(baskets["count"] >= 3) & (baskets["count"] <= 50)]
# from_end: 1 = last basket, 2 = second-to-last, ... (for evaluated customers; 0 = never dropped)
from_end = pd.Series((evaluated["count"] - evaluated["n"]).to_numpy(),
                     index=pd.MultiIndex.from_frame(evaluated[["customer_id", "order_id"]]))
orders_from_end = (orders[["customer_id", "order_id"]].merge(
    from_end.rename("from_end").reset_index(), on=["customer_id", "order_id"], how="left")["from_end"]
    .fillna(0).astype(int).to_numpy())
eval_count = evaluated.groupby("customer_id")["count"].first()

PRODUCTS = sorted(orders.product_id.unique())
PCOL = {p: i for i, p in enumerate(PRODUCTS)}
P = len(PRODUCTS)
prefix_codes, prefix_index = np.unique([p[:3] for p in PRODUCTS], return_inverse=True)


def unit_rows(m):
    norms = np.sqrt(np.asarray(m.multiply(m).sum(1)).ravel())
    norms[norms == 0] = 1
    return sp.diags(1 / norms) @ m


def build_split(k):
    """Signals and features of split k for the customers with explore items in their k-th basket from the end."""
    t0 = time.time()
    history = orders[(orders_from_end == 0) | (orders_from_end > k)]
    label = orders[orders_from_end == k]
    label = label[label.customer_id.map(eval_count).fillna(0) >= (3 if k <= 2 else k + 1)]
    cutoff = history.ts.max()
    customers = sorted(history.customer_id.unique())
    row = {c: i for i, c in enumerate(customers)}
    h_row = history.customer_id.map(row).to_numpy()
    h_col = history.product_id.map(PCOL).to_numpy()
    age = (cutoff - history.ts).dt.total_seconds().to_numpy() / 86400
    # one line per (customer, order, product)
    line = pd.DataFrame({"c": h_row, "o": history.order_id.to_numpy(), "p": h_col, "age": age,
                         "price": history.price.to_numpy()}).drop_duplicates(["c", "o", "p"])
    bought_all = sp.csr_matrix((np.ones(len(line)), (line.c, line.p)), shape=(len(customers), P))
    bought_all.data[:] = 1

    label_sets = label.groupby("customer_id")["product_id"].agg(set)
    targets, explore = [], []
    for c, s in label_sets.items():
        if c not in row:
            continue
        have = set(bought_all[row[c]].indices)
        new = {PCOL[p] for p in s} - have
        if new:
            targets.append(c)
            explore.append(new)
    T = len(targets)
    trow = np.array([row[c] for c in targets])
    bought = bought_all[trow].toarray().astype(bool)

    def decayed(half_life, window=None):
        w = np.power(2.0, -line.age.to_numpy() / half_life) if half_life else np.ones(len(line))
        if window:
            w = np.where(line.age.to_numpy() > window, 0, w)
        return sp.csr_matrix((w, (line.c, line.p)), shape=(len(customers), P))

    signals = {}
    for hl in (30, 14, 7):
        pop = np.asarray(decayed(hl, 365).sum(0)).ravel()
        signals[f"pop{hl}"] = np.broadcast_to(pop, (T, P))
    # new buyers in the last 30 days: customers whose first purchase of the product is in the last 30 days
    first = line.groupby(["c", "p"]).age.max().reset_index()
    new_buyers30 = np.bincount(first.p[first.age <= 30], minlength=P).astype(float)
    signals["newbuyers30"] = np.broadcast_to(new_buyers30, (T, P))

    # transitions: a in basket t -> products new to the customer in basket t+1, P(j new next | a)
    hb = (line.groupby(["c", "o"]).agg(age=("age", "max")).reset_index()
          .merge(baskets.rename(columns={"order_id": "o"})[["customer_id", "o", "ts"]]
                 .assign(c=lambda d: d.customer_id.map(row)).dropna(subset=["c"])
                 .astype({"c": int})[["c", "o", "ts"]], on=["c", "o"])
          .sort_values(["c", "ts", "o"]))
    hb["seq"] = hb.groupby("c").cumcount()
    hb["nb"] = hb.groupby("c")["seq"].transform("size")
    ln = line.merge(hb[["c", "o", "seq", "nb"]], on=["c", "o"])
    first_seq = ln.groupby(["c", "p"]).seq.transform("min")
    n_seq = int(hb.seq.max()) + 1
    pair_id = lambda c, s: c * n_seq + s  # noqa: E731
    src = sp.csr_matrix((np.ones(len(ln)), (pair_id(ln.c.to_numpy(), ln.seq.to_numpy()), ln.p)),
                        shape=(len(customers) * n_seq, P))
    newl = ln[(first_seq == ln.seq) & (ln.seq > 0)]
    dst = sp.csr_matrix((np.ones(len(newl)), (pair_id(newl.c.to_numpy(), newl.seq.to_numpy() - 1), newl.p)),
                        shape=(len(customers) * n_seq, P))
    has_next = np.zeros(len(customers) * n_seq, bool)
    has_next[pair_id(hb.c.to_numpy(), hb.seq.to_numpy())[hb.seq.to_numpy() < hb.nb.to_numpy() - 1]] = True
    src_next = sp.diags(has_next.astype(float)) @ src
    seen_as_source = np.asarray(src_next.sum(0)).ravel()
    seen_as_source[seen_as_source == 0] = 1
    follows = (sp.diags(1 / seen_as_source) @ (src_next.T @ dst)).tocsr()
    nb_of = hb.groupby("c").nb.first()
    for recent in (1, 3):
        r, s, w = [], [], []
        for i, c in enumerate(trow):
            nb = nb_of[c]
            for d in range(min(recent, nb)):
                r.append(i), s.append(pair_id(c, nb - 1 - d)), w.append(0.5 ** d)
        sel = sp.csr_matrix((w, (r, s)), shape=(T, len(customers) * n_seq))
        signals[f"trans{recent}"] = ((sel @ src) @ follows).toarray()

    by_buyers = unit_rows(bought_all.T.tocsr())
    similar_products = (by_buyers @ by_buyers.T).tocsr()
    similar_products.setdiag(0)
    for hl in (0, 30, 90):
        d = decayed(hl)
        if hl in (0, 30):
            signals[f"iknn{hl}"] = (d[trow] @ similar_products).toarray()
        if hl in (30, 90):
            unit = unit_rows(d).tocsr()
            sim = (unit[trow] @ unit.T).toarray()
            sim[np.arange(T), trow] = 0
            keep = np.zeros_like(sim, dtype=bool)
            np.put_along_axis(keep, np.argpartition(-sim, 50, axis=1)[:, :50], True, axis=1)
            sim[~keep] = 0
            signals[f"uknn{hl}"] = (sp.csr_matrix(sim) @ unit).toarray()

    # ranks among new-to-customer products with a positive score; candidates = union of the top TOP
    ranks, cand = {}, np.zeros((T, P), bool)
    for name, s in signals.items():
        m = np.where(bought | (s <= 0), -np.inf, s)
        order = np.argsort(-m, axis=1, kind="stable")
        rk = np.empty((T, P), np.int32)
        np.put_along_axis(rk, order, np.arange(P, dtype=np.int32)[None, :].repeat(T, 0), axis=1)
        rk = np.where(np.isfinite(m), rk, P)
        ranks[name] = rk
        cand |= rk < TOP
    ci, cj = np.nonzero(cand)

    # product features (on this split's history)
    n_buyers = np.asarray(bought_all.sum(0)).ravel()
    n_orders = np.bincount(line.p, minlength=P)
    per_cp = line.groupby(["c", "p"]).size()
    repeat = np.bincount(per_cp.index.get_level_values(1)[per_cp.to_numpy() >= 2], minlength=P) / np.maximum(n_buyers, 1)
    first_sale = pd.Series(line.age.to_numpy()).groupby(line.p.to_numpy()).max().reindex(range(P)).fillna(400).to_numpy()
    last_sale = pd.Series(line.age.to_numpy()).groupby(line.p.to_numpy()).min().reindex(range(P)).fillna(400).to_numpy()
    price = pd.Series(line.price.to_numpy()).groupby(line.p.to_numpy()).median().reindex(range(P)).fillna(1).to_numpy()
    # customer features
    hist_size = bought.sum(1)
    nbask = nb_of[trow].to_numpy()
    since_last = hb.groupby("c").age.min()[trow].to_numpy()
    new_share = (newl.groupby("c").size().reindex(trow).fillna(0).to_numpy()
                 / np.maximum(ln[ln.seq > 0].groupby("c").size().reindex(trow).fillna(0).to_numpy(), 1))
    cust_price = pd.Series(line.price.to_numpy()).groupby(line.c.to_numpy()).median()[trow].to_numpy()
    prefix_counts = (bought_all[trow] @ sp.csr_matrix((np.ones(P), (np.arange(P), prefix_index)),
                                                       shape=(P, len(prefix_codes)))).toarray()

    feats = {}
    for name, s in signals.items():
        rowmax = np.maximum(s.max(1), 1e-12)
        feats[f"{name}:score"] = s[ci, cj] / rowmax[ci]
        feats[f"{name}:logrank"] = np.log1p(np.minimum(ranks[name][ci, cj], 1000))
    feats.update({
        "prod:log_buyers": np.log1p(n_buyers[cj]), "prod:log_orders": np.log1p(n_orders[cj]),
        "prod:repeat_rate": repeat[cj], "prod:log_age_first": np.log1p(first_sale[cj]),
        "prod:log_age_last": np.log1p(last_sale[cj]), "prod:log_price": np.log(np.maximum(price[cj], 0.01)),
        "cust:log_hist": np.log1p(hist_size[ci]), "cust:log_baskets": np.log1p(nbask[ci]),
        "cust:log_since_last": np.log1p(since_last[ci]), "cust:new_share": new_share[ci],
        "pair:log_price_ratio": np.log(np.maximum(price[cj], 0.01) / np.maximum(cust_price[ci], 0.01)),
        "pair:prefix_share": prefix_counts[ci, prefix_index[cj]] / np.maximum(hist_size[ci], 1),
        "n_signals_top100": sum((ranks[n][ci, cj] < TOP).astype(float) for n in signals),
    })
    names = list(feats)
    X = np.column_stack([feats[n] for n in names]).astype(np.float64)
    y = np.array([j in explore[i] for i, j in zip(ci, cj)])
    recall = np.mean([any(cand[i, j] for j in e) for i, e in enumerate(explore)])
    # single-signal lists: top K new products with positive score, topped up with popular-new (as explore_signals)
    single = {}
    pop_rank = ranks["pop30"]
    for name in signals:
        rk = ranks[name]
        hits = 0
        for i, e in enumerate(explore):
            top = [j for j in np.argsort(rk[i])[:K] if rk[i, j] < P]
            if len(top) < K:
                top += [j for j in np.argsort(pop_rank[i])[:2 * K] if j not in top][:K - len(top)]
            hits += any(j in e for j in top)
        single[name] = hits / T
    print(f"split {k}: {T} customers with explore items, {len(y)} candidates ({len(y) / T:.0f} a customer), "
          f"{y.sum()} positive; candidate recall (customers with an explore item among candidates) {recall:.3f}; "
          f"{time.time() - t0:.0f} s", flush=True)
    return dict(X=X, y=y, group=ci, names=names, T=T, single=single, recall=recall)


def hit_rate(split, score):
    order = np.lexsort((-score, split["group"]))
    g, y = split["group"][order], split["y"][order]
    pos = np.arange(len(g)) - np.searchsorted(g, g)  # position within the customer's list
    return np.bincount(g[(pos < K) & y], minlength=split["T"]).astype(bool).sum() / split["T"]


def fit_logistic(X, y, l2=1e-4, steps=400, lr=0.05):
    mean, std = X.mean(0), X.std(0)
    std[std == 0] = 1
    Z = (X - mean) / std
    w, b = np.zeros(Z.shape[1]), 0.0
    m, v = np.zeros(Z.shape[1] + 1), np.zeros(Z.shape[1] + 1)
    for t in range(1, steps + 1):  # Adam on the mean log loss
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = np.append(Z.T @ (p - y) / len(y) + l2 * w, np.mean(p - y))
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        step = lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        w, b = w - step[:-1], b - step[-1]
    return lambda X2: ((X2 - mean) / std) @ w + b, w


test = build_split(1)
trains = [build_split(k) for k in range(2, 2 + train_splits)]
Xtr = np.vstack([s["X"] for s in trains])
ytr = np.concatenate([s["y"] for s in trains])
names = test["names"]

models = {}
t0 = time.time()
lr_score, lr_w = fit_logistic(Xtr, ytr.astype(float))
models["logistic regression"] = lr_score
print(f"logistic regression fitted in {time.time() - t0:.0f} s", flush=True)
try:
    from sklearn.ensemble import HistGradientBoostingClassifier
    t0 = time.time()
    gbdt = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=100,
                                          l2_regularization=1.0, early_stopping=True, validation_fraction=0.1,
                                          n_iter_no_change=20, random_state=0)
    gbdt.fit(Xtr, ytr)
    models["GBDT (sklearn HistGradientBoosting)"] = lambda X2: gbdt.decision_function(X2)
    print(f"GBDT fitted in {time.time() - t0:.0f} s ({gbdt.n_iter_} iterations)", flush=True)
except ImportError:
    print("sklearn not installed: no GBDT")

reference = test["single"]["pop30"]
print(f"\n{'ranker':44s} {'train HR@25':>11s} {'test HR@25':>10s} {'x popular-new':>13s}")
for name, value in test["single"].items():
    tr = np.mean([s["single"][name] for s in trains])
    print(f"{'single signal ' + name:44s} {tr:11.3f} {value:10.3f} {value / reference:13.2f}")
results = {}
for name, f in models.items():
    tr = np.mean([hit_rate(s, f(s["X"])) for s in trains])
    results[name] = hit_rate(test, f(test["X"]))
    print(f"{name:44s} {tr:11.3f} {results[name]:10.3f} {results[name] / reference:13.2f}")
print(f"{'(candidate recall: ceiling)':44s} {np.mean([s['recall'] for s in trains]):11.3f} {test['recall']:10.3f} "
      f"{test['recall'] / reference:13.2f}")

print("\nlogistic regression, weights on standardized features (largest |w| first):")
for i in np.argsort(-np.abs(lr_w))[:20]:
    print(f"  {names[i]:28s} {lr_w[i]:+.3f}")

# permutation importance on the test split, by feature group (signal = its score and rank), in test HR@25 lost
groups = {}
for i, n in enumerate(names):
    groups.setdefault(n.split(":")[0], []).append(i)
rng = np.random.default_rng(0)
print(f"\npermutation importance on the test split (HR@25 lost when the group is shuffled across rows):")
print(f"  {'group':20s} " + " ".join(f"{n.split(' ')[0]:>10s}" for n in models))
for gname, cols in groups.items():
    Xp = test["X"].copy()
    perm = rng.permutation(len(Xp))
    Xp[:, cols] = Xp[perm][:, cols]
    print(f"  {gname:20s} " + " ".join(f"{results[n] - hit_rate(test, f(Xp)):+10.3f}" for n, f in models.items()))
print(f"\n({time.time() - start:.0f} s)")
