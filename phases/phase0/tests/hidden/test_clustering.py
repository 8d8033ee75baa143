"""Hidden tests for phase0.clustering: k-means, k-means++ and Gaussian mixtures by EM.

Oracles: Lloyd's invariants (monotone inertia, fixed point), hand-computed steps, a seeded
chi-square test of the k-means++ distribution, EM's monotone log-likelihood, the weighted
closed-form M-step, and torch.distributions.MixtureSameFamily for every log-likelihood.
"""

import itertools
import math

import numpy as np
import pytest
import torch
from torch import distributions as td

from phase0.clustering import GaussianMixture, KMeans, kmeans_plus_plus_init
from shared import assert_close, assert_equal, rng

# ----------------------------------------------------------------------------------------------
# helpers (oracles written here, independent of the solution)


def _blobs(seed, centres, n_per, spread):
    g = rng(seed)
    centres = np.asarray(centres, dtype=float)
    X = np.concatenate([c + spread * g.standard_normal((n_per, centres.shape[1]))
                        for c in centres])
    y = np.repeat(np.arange(len(centres)), n_per)
    perm = g.permutation(len(X))
    return X[perm], y[perm]


def _sqdist(X, C):
    """Squared Euclidean distances from torch.cdist, float64: (N, K)."""
    return torch.cdist(torch.as_tensor(X, dtype=torch.float64),
                       torch.as_tensor(C, dtype=torch.float64)).numpy() ** 2


def _same_partition(a, b):
    pairs = set(zip(np.asarray(a).tolist(), np.asarray(b).tolist(), strict=True))
    return len(pairs) == len(set(np.asarray(a).tolist())) == len(set(np.asarray(b).tolist()))


def _mixture(weights, means, covs, covariance_type):
    """torch.distributions mixture with the given parameters, float64."""
    w = torch.as_tensor(np.asarray(weights), dtype=torch.float64)
    mu = torch.as_tensor(np.asarray(means), dtype=torch.float64)
    cov = torch.as_tensor(np.asarray(covs), dtype=torch.float64)
    if covariance_type == "full":
        comp = td.MultivariateNormal(mu, covariance_matrix=cov)
    else:
        comp = td.Independent(td.Normal(mu, cov.sqrt()), 1)
    return td.MixtureSameFamily(td.Categorical(probs=w), comp)


def _torch_log_px(X, weights, means, covs, covariance_type):
    return _mixture(weights, means, covs, covariance_type).log_prob(
        torch.as_tensor(X, dtype=torch.float64)).numpy()


def _torch_resp(X, weights, means, covs, covariance_type):
    """Posterior p(k | x) from torch log-densities, normalised by torch.logsumexp."""
    mix = _mixture(weights, means, covs, covariance_type)
    x = torch.as_tensor(X, dtype=torch.float64)[:, None, :]
    joint = mix.component_distribution.log_prob(x) + torch.log(mix.mixture_distribution.probs)
    return torch.softmax(joint, dim=1).numpy()


def _initial_covs(X, K, reg, covariance_type):
    """The documented initial covariances: covariance of all of X (/N) + reg on the diagonal."""
    c = X - X.mean(axis=0)
    full = c.T @ c / len(X) + reg * np.eye(X.shape[1])
    if covariance_type == "full":
        return np.repeat(full[None], K, axis=0)
    return np.repeat(np.diag(full)[None], K, axis=0)


def _overlapping_data(seed=5, n=240):
    # three overlapping, anisotropic clusters: responsibilities are genuinely soft
    g = rng(seed)
    A = np.array([[1.0, 0.4], [0.0, 0.7]])
    parts = [g.standard_normal((n // 3, 2)) @ A + m
             for m in ([0.0, 0.0], [1.5, 0.5], [0.3, 1.8])]
    return np.concatenate(parts)


# ----------------------------------------------------------------------------------------------
# k-means


def test_kmeans_fit_returns_self_with_documented_shapes():
    X = rng(10).standard_normal((30, 4))
    km = KMeans(n_clusters=3, seed=1)
    assert km.fit(X) is km, "fit must return self (scikit-learn style) so calls can be chained"
    assert np.shape(km.cluster_centers_) == (3, 4), (
        f"cluster_centers_ should have shape (n_clusters, D) = (3, 4), "
        f"got {np.shape(km.cluster_centers_)}")
    assert np.shape(km.labels_) == (30,), (
        f"labels_ should have shape (30,), got {np.shape(km.labels_)}")
    assert np.issubdtype(np.asarray(km.labels_).dtype, np.integer), "labels_ must be integers"
    assert isinstance(km.inertia_, float), f"inertia_ must be a float, got {type(km.inertia_)}"
    assert km.n_iter_ == len(km.inertia_history_), (
        f"n_iter_ ({km.n_iter_}) must equal len(inertia_history_) ({len(km.inertia_history_)}): "
        "one history entry per iteration")


def test_kmeans_one_lloyd_step_matches_hand_computation():
    """One Lloyd step of k-means matches a hand computation."""
    X = rng(11).standard_normal((25, 3))
    init = np.array([[1.0, 1.0, 0.0], [0.5, 1.0, 0.5], [0.0, -1.0, 1.0], [1.0, 0.5, -1.0]])
    km = KMeans(n_clusters=4, init=init, max_iter=1, tol=0.0).fit(X)

    d0 = _sqdist(X, init)
    lab0 = d0.argmin(axis=1)  # 4 of these 25 labels change after the first update
    assert len(km.inertia_history_) == 1, (
        f"max_iter=1 allows one iteration, got {len(km.inertia_history_)} history entries")
    assert_close(km.inertia_history_[0], d0.min(axis=1).sum(), rtol=1e-10, atol=1e-10,
                 what="inertia_history_[0]: inertia of the given init centres (25 points, 3-D)",
                 oracle="sum of squared torch.cdist distances to the nearest init centre",
                 hint="inertia is the sum of SQUARED distances, recorded after the assignment "
                      "step with the centres of that step")
    expected = np.stack([X[lab0 == j].mean(axis=0) for j in range(4)])
    assert_close(km.cluster_centers_, expected, rtol=1e-10, atol=1e-12,
                 what="cluster_centers_ after one Lloyd iteration from a given init",
                 oracle="the mean of the points nearest to each init centre (numpy)",
                 hint="each new centre is the mean of the points assigned to it")
    d1 = _sqdist(X, expected)
    assert_equal(np.asarray(km.labels_), d1.argmin(axis=1),
                 what="labels_ after one iteration",
                 oracle="argmin of torch.cdist distances to the FINAL centres",
                 hint="recompute labels_ from the final centres after the loop")
    assert_close(km.inertia_, d1.min(axis=1).sum(), rtol=1e-10, atol=1e-10,
                 what="inertia_ after one iteration",
                 oracle="squared torch.cdist distances to the final centres",
                 hint="inertia_ must describe the final labels_ and cluster_centers_")


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_kmeans_converged_state_is_a_fixed_point(init):
    X = rng(12).standard_normal((150, 2)) * np.array([3.0, 1.0])
    km = KMeans(n_clusters=4, init=init, max_iter=300, tol=0.0, seed=7).fit(X)
    assert km.n_iter_ < 300, "Lloyd's algorithm on 150 points should converge well before 300 steps"
    d = _sqdist(X, km.cluster_centers_)
    assert_equal(np.asarray(km.labels_), d.argmin(axis=1),
                 what=f"labels_ at convergence (init={init!r})",
                 oracle="argmin over centres of torch.cdist distances",
                 hint="each label must be the index of the nearest centre")
    means = np.stack([X[km.labels_ == j].mean(axis=0) for j in range(4)])
    assert_close(km.cluster_centers_, means, rtol=1e-9, atol=1e-12,
                 what=f"cluster_centers_ at convergence (init={init!r}, tol=0)",
                 oracle="the mean of each cluster's points (a fixed point of Lloyd's update)",
                 hint="with tol=0, stop only when no centre moves any more")
    assert_close(km.inertia_, d.min(axis=1).sum(), rtol=1e-10, atol=1e-10,
                 what="inertia_ at convergence", oracle="squared torch.cdist distances",
                 hint="inertia is the sum of squared distances to the assigned centres")


def test_kmeans_inertia_is_non_increasing_for_kmeans_plus_plus():
    """K-means inertia never increases from one iteration to the next with k-means++ init."""
    X = rng(13).standard_normal((300, 4))
    for seed in range(3):
        km = KMeans(n_clusters=6, max_iter=100, tol=0.0, seed=seed).fit(X)
        hist = np.asarray(km.inertia_history_)
        assert np.all(np.diff(hist) <= 1e-9 * hist[0]), (
            f"seed={seed}: inertia_history_ increased somewhere: {hist.round(4).tolist()}. "
            "Hint: assignment then mean update each lower the inertia; record it after the "
            "assignment step")
        assert km.inertia_ <= hist[-1] * (1 + 1e-12), (
            "the final inertia_ cannot exceed the last history entry (the last update only "
            "moved centres to means)")


def test_kmeans_empty_cluster_keeps_its_old_centre():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    init = np.array([[0.5], [100.0], [10.5]])  # centre 1 is nobody's nearest centre
    km = KMeans(n_clusters=3, init=init, max_iter=10, tol=0.0).fit(X)
    C = np.asarray(km.cluster_centers_, dtype=float)
    assert np.all(np.isfinite(C)), (
        f"an empty cluster produced non-finite centres {C.ravel().tolist()}: the mean of zero "
        "points is 0/0. Hint: the documented rule is to keep an empty cluster's old centre")
    assert_close(C, init, rtol=0, atol=1e-12,
                 what="cluster_centers_ when cluster 1 never receives a point",
                 oracle="the documented empty-cluster rule (keep the previous centre)",
                 hint="skip the mean update for a cluster with no points")
    assert_equal(np.asarray(km.labels_), np.array([0, 0, 2, 2]), what="labels_",
                 oracle="nearest centres by hand")


def test_kmeans_duplicate_points_do_not_crash():
    # Only two distinct points: with 3 clusters some cluster is always empty (ties with
    # coinciding centres go to the lowest index).
    X = np.array([[0.0, 0.0]] * 8 + [[5.0, 5.0]] * 4)
    for init in ["random", "k-means++"]:
        for seed in range(5):
            km = KMeans(n_clusters=3, init=init, max_iter=20, seed=seed).fit(X)
            C = np.asarray(km.cluster_centers_, dtype=float)
            assert np.all(np.isfinite(C)), (
                f"init={init!r}, seed={seed}: centres became non-finite with an empty cluster "
                f"({C.tolist()}). Hint: keep the old centre of an empty cluster; in k-means++ "
                "draw uniformly when every D(x) is 0 instead of dividing 0 by 0")
            assert km.inertia_ == pytest.approx(0.0, abs=1e-12), (
                f"init={init!r}, seed={seed}: both distinct points can be centres, so the "
                f"inertia should reach 0, got {km.inertia_}")


def test_kmeans_predict_labels_new_points_with_nearest_centre():
    X = rng(14).standard_normal((80, 3))
    km = KMeans(n_clusters=5, seed=2).fit(X)
    Z = rng(15).standard_normal((40, 3)) * 2
    assert_equal(np.asarray(km.predict(Z)), _sqdist(Z, km.cluster_centers_).argmin(axis=1),
                 what="predict on 40 new points", oracle="argmin of torch.cdist distances",
                 hint="predict assigns each row to its nearest fitted centre")
    assert_equal(np.asarray(km.predict(X)), np.asarray(km.labels_),
                 what="predict(X_train)", oracle="labels_ (nearest centres of the training data)")


def test_kmeans_max_iter_and_tol_bound_the_iterations():
    X = rng(16).standard_normal((100, 2))
    init = X[:4].copy()
    km0 = KMeans(n_clusters=4, init=init, max_iter=0).fit(X)
    assert_close(km0.cluster_centers_, init, rtol=0, atol=0,
                 what="cluster_centers_ with max_iter=0", oracle="the init array (no iteration)")
    assert len(km0.inertia_history_) == 0, "max_iter=0 runs no iteration: empty history"
    km2 = KMeans(n_clusters=4, init=init, max_iter=2, tol=0.0).fit(X)
    assert km2.n_iter_ == 2 and len(km2.inertia_history_) == 2, (
        f"max_iter=2 with tol=0 on unconverged data must run exactly 2 iterations, got "
        f"n_iter_={km2.n_iter_}. Hint: the loop is bounded by max_iter")
    km_tol = KMeans(n_clusters=4, init=init, max_iter=50, tol=1e9).fit(X)
    assert km_tol.n_iter_ == 1, (
        f"with tol=1e9 every shift is below tol, so fit must stop after the first iteration; "
        f"got n_iter_={km_tol.n_iter_}. Hint: stop when no centre moved more than tol")
    km_full = KMeans(n_clusters=4, init=init, max_iter=50, tol=0.0).fit(X)
    assert km_full.n_iter_ > 2, "this data needs more than 2 Lloyd iterations with tol=0"


def test_kmeans_random_init_draws_distinct_rows_with_the_seed():
    X = rng(17).standard_normal((30, 2))
    sets = []
    for seed in range(6):
        C = np.asarray(KMeans(n_clusters=4, init="random", max_iter=0, seed=seed)
                       .fit(X).cluster_centers_)
        hits = [np.flatnonzero((X == c).all(axis=1)) for c in C]
        assert all(len(h) == 1 for h in hits), (
            f"seed={seed}: init='random' must use rows of X as the initial centres")
        rows = tuple(int(h[0]) for h in hits)
        assert len(set(rows)) == 4, f"seed={seed}: the 4 rows must be distinct, got {rows}"
        again = KMeans(n_clusters=4, init="random", max_iter=0, seed=seed).fit(X)
        assert_close(again.cluster_centers_, C, rtol=0, atol=0,
                     what=f"init='random' twice with seed={seed}",
                     oracle="the same seed must give the same centres",
                     hint="draw with np.random.default_rng(seed)")
        sets.append(frozenset(rows))
    assert len(set(sets)) > 1, "different seeds should give different random initialisations"


def test_kmeans_rejects_bad_inputs():
    with pytest.raises(ValueError):
        KMeans(n_clusters=2).fit(np.arange(5.0))  # 1-D
    with pytest.raises(ValueError):
        KMeans(n_clusters=6).fit(np.zeros((5, 2)))  # more clusters than points
    with pytest.raises(ValueError):
        KMeans(n_clusters=2, init="kmeans").fit(np.zeros((5, 2)))
    with pytest.raises(ValueError):
        KMeans(n_clusters=2, init=np.zeros((3, 2))).fit(np.ones((5, 2)))


def test_kmeans_recovers_blobs_in_higher_dimension():
    # 4 blobs in 5-D, 60 apart, spread 0.05: k-means++ puts two initial centres in one blob
    # with probability < 1e-7 per draw, so this fails for a correct implementation < 1e-6.
    centres = 60.0 * np.eye(5)[:4]
    X, y = _blobs(18, centres, n_per=25, spread=0.05)
    for seed in range(3):
        km = KMeans(n_clusters=4, seed=seed).fit(X)
        assert _same_partition(km.labels_, y), (
            f"seed={seed}: KMeans should recover 4 well-separated 5-D blobs exactly; got "
            f"sizes {np.bincount(km.labels_, minlength=4).tolist()}")


# ----------------------------------------------------------------------------------------------
# k-means++


def _kpp_probabilities(X, k):
    """Exact probability of each ordered k-tuple of rows under k-means++ (D^2 to nearest)."""
    D2 = _sqdist(X, X)
    n = len(X)
    probs = {}
    for seq in itertools.permutations(range(n), k):
        p = 1.0 / n
        for t in range(1, k):
            d2 = D2[list(seq[:t])].min(axis=0)
            p *= d2[seq[t]] / d2.sum()
        probs[seq] = p
    return probs


def test_kmeans_plus_plus_samples_proportional_to_d2():
    """K-means++ draws each new centre with probability proportional to squared distance."""
    # Pearson chi-square test over the 24 ordered triples of 4 points in 2-D, 5000 seeded draws.
    # Threshold from the Laurent-Massart bound P(Q >= df + 2 sqrt(df x) + 2x) <= exp(-x) with
    # x = ln(1e7): a correct implementation fails with probability <= 1e-7 (chi-square
    # approximation; every expected count is >= 20). Drawing proportionally to D instead of
    # D^2, to the last centre instead of the nearest, or with L1 distances gives a statistic
    # of several hundred.
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 3.0]])
    probs = _kpp_probabilities(X, 3)
    n_draws = 5000
    g = np.random.default_rng(2024)
    counts = dict.fromkeys(probs, 0)
    for _ in range(n_draws):
        C = np.asarray(kmeans_plus_plus_init(X, 3, g))
        seq = []
        for c in C:
            hit = np.flatnonzero((X == c).all(axis=1))
            assert len(hit) == 1, f"k-means++ returned {c.tolist()}, which is not a row of X"
            seq.append(int(hit[0]))
        seq = tuple(seq)
        assert seq in counts, f"k-means++ chose the same row twice: {seq}"
        counts[seq] += 1
    stat = sum((counts[s] - n_draws * p) ** 2 / (n_draws * p) for s, p in probs.items())
    df = len(probs) - 1
    x = math.log(1e7)
    threshold = df + 2 * math.sqrt(df * x) + 2 * x
    worst = max(probs, key=lambda s: abs(counts[s] - n_draws * probs[s]))
    assert stat < threshold, (
        f"k-means++ picks do not follow P(x) = D(x)^2 / sum D^2: chi-square statistic "
        f"{stat:.1f} over {len(probs)} ordered triples exceeds {threshold:.1f} (false-failure "
        f"rate <= 1e-7). Most off: rows {worst} seen {counts[worst]} times, expected "
        f"{n_draws * probs[worst]:.0f}. Hint: the first centre is uniform; each next one is "
        "drawn with probability proportional to the SQUARED distance to the NEAREST chosen "
        "centre."
    )


def test_kmeans_plus_plus_uses_the_given_generator():
    """K-means++ draws its random numbers from the generator it is given."""
    X = rng(19).standard_normal((50, 3))
    a = kmeans_plus_plus_init(X, 4, np.random.default_rng(123))
    b = kmeans_plus_plus_init(X, 4, np.random.default_rng(123))
    assert_close(a, b, rtol=0, atol=0, what="kmeans_plus_plus_init twice with the same seed",
                 oracle="reproducibility", hint="draw only from the rng argument")
    others = {tuple(np.asarray(kmeans_plus_plus_init(X, 4, np.random.default_rng(s)))
                    .ravel().tolist()) for s in range(8)}
    assert len(others) > 1, "different generators should give different seeds (use rng)"


def test_kmeans_plus_plus_with_fewer_distinct_points_than_k():
    """K-means++ still returns k finite centres when X has fewer than k distinct rows."""
    X = np.array([[1.0, 1.0]] * 3 + [[4.0, 0.0]] * 2)
    for seed in range(5):
        C = np.asarray(kmeans_plus_plus_init(X, 4, np.random.default_rng(seed)))
        assert C.shape == (4, 2) and np.all(np.isfinite(C)), (
            f"seed={seed}: with 2 distinct rows and k=4, every D(x) becomes 0; the next centre "
            "must then be drawn uniformly (not with probabilities 0/0 = NaN)")
        assert {tuple(c) for c in C.tolist()} == {(1.0, 1.0), (4.0, 0.0)}, (
            f"seed={seed}: both distinct rows have positive D^2 until chosen, so both must "
            f"appear among the centres; got {C.tolist()}")


def test_kmeans_plus_plus_rejects_bad_k():
    """K-means++ rejects an invalid number of centres."""
    X = np.zeros((3, 2))
    for k in (0, 4):
        with pytest.raises(ValueError):
            kmeans_plus_plus_init(X, k, np.random.default_rng(0))


# ----------------------------------------------------------------------------------------------
# Gaussian mixtures


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gmm_first_e_step_log_likelihood_matches_torch(cov_type):
    """The GMM log-likelihood at the first E step matches torch."""
    X = _overlapping_data()
    means0 = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    gm = GaussianMixture(n_components=3, covariance_type=cov_type, max_iter=1,
                         reg_covar=0.05, means_init=means0).fit(X)
    covs0 = _initial_covs(X, 3, 0.05, cov_type)
    expected = _torch_log_px(X, np.full(3, 1 / 3), means0, covs0, cov_type).mean()
    assert len(gm.log_likelihood_history_) == 1, "max_iter=1 means one E-step, one history entry"
    assert_close(gm.log_likelihood_history_[0], expected, rtol=1e-10, atol=1e-10,
                 what=f"log_likelihood_history_[0] ({cov_type}) under the initial parameters",
                 oracle="torch.distributions.MixtureSameFamily.log_prob, mean over points, with "
                        "uniform weights, means_init and the data covariance + reg_covar",
                 hint="record the MEAN log-likelihood of the E-step, before the M-step; start "
                      "every covariance at the covariance of all of X (divided by N)")


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gmm_m_step_matches_weighted_closed_form(cov_type):
    """The GMM M step matches the responsibility-weighted closed form."""
    X = _overlapping_data()
    K, reg = 3, 0.1
    means0 = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    covs0 = _initial_covs(X, K, reg, cov_type)
    gm = GaussianMixture(n_components=K, covariance_type=cov_type, max_iter=1, reg_covar=reg,
                         means_init=means0).fit(X)

    R = _torch_resp(X, np.full(K, 1 / K), means0, covs0, cov_type)  # (N, K)
    nk = R.sum(axis=0)
    w = nk / len(X)
    mu = R.T @ X / nk[:, None]
    full = np.stack([(R[:, j, None] * (X - mu[j])).T @ (X - mu[j]) / nk[j] for j in range(K)])
    full += reg * np.eye(2)
    cov = full if cov_type == "full" else np.stack([np.diag(c) for c in full])

    oracle = "the weighted closed-form M-step from torch responsibilities of the initial model"
    assert_close(gm.weights_, w, rtol=1e-9, atol=1e-12,
                 what=f"weights_ after one EM step ({cov_type})", oracle=oracle,
                 hint="pi_k = N_k / N with SOFT counts N_k = sum_i r_ik, not hard counts")
    assert_close(gm.means_, mu, rtol=1e-9, atol=1e-10,
                 what=f"means_ after one EM step ({cov_type})", oracle=oracle,
                 hint="mu_k = sum_i r_ik x_i / N_k, with normalised r")
    assert_close(gm.covariances_, cov, rtol=1e-9, atol=1e-10,
                 what=f"covariances_ after one EM step ({cov_type}, reg_covar={reg})",
                 oracle=oracle,
                 hint="Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k around the NEW mean, "
                      "plus reg_covar on the diagonal")


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gmm_log_likelihood_history_is_non_decreasing(cov_type):
    X = _overlapping_data(seed=6, n=300)
    # reg_covar=0: plain EM, whose likelihood provably never decreases.
    gm = GaussianMixture(n_components=3, covariance_type=cov_type, max_iter=60, tol=1e-12,
                         reg_covar=0.0, means_init=X[[0, 100, 200]]).fit(X)
    hist = np.asarray(gm.log_likelihood_history_)
    assert len(hist) >= 5, f"expected several EM iterations, got {len(hist)}"
    drops = np.flatnonzero(np.diff(hist) < -1e-10)
    assert drops.size == 0, (
        f"the EM log-likelihood decreased at iteration {drops[0] + 1 if drops.size else 0}: "
        f"{hist[drops[0]]:.10f} -> {hist[drops[0] + 1]:.10f}. EM never lowers it. Hint: check "
        "that the M-step uses the responsibilities of the E-step (soft counts, normalised r)")
    assert gm.score(X) >= hist[-1] - 1e-10, "the fitted model must score at least the last entry"


def test_gmm_log_likelihood_non_decreasing_with_regularisation():
    """The GMM log-likelihood never decreases with covariance regularisation either."""
    X = _overlapping_data(seed=7, n=300)
    gm = GaussianMixture(n_components=4, max_iter=40, tol=1e-12, reg_covar=1e-6,
                         means_init=X[[0, 60, 120, 240]]).fit(X)
    hist = np.asarray(gm.log_likelihood_history_)
    assert np.all(np.diff(hist) > -1e-6), (
        f"the EM log-likelihood decreased: {hist.round(6).tolist()}")


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gmm_score_samples_matches_torch_mixture(cov_type):
    X = _overlapping_data(seed=8)
    gm = GaussianMixture(n_components=3, covariance_type=cov_type, max_iter=30, seed=0).fit(X)
    Z = rng(20).standard_normal((50, 2)) * 2
    expected = _torch_log_px(Z, gm.weights_, gm.means_, gm.covariances_, cov_type)
    assert_close(gm.score_samples(Z), expected, rtol=1e-9, atol=1e-9,
                 what=f"score_samples on 50 new points ({cov_type})",
                 oracle="torch.distributions.MixtureSameFamily.log_prob with your fitted "
                        "weights_, means_ and covariances_",
                 hint="log p(x) = logsumexp_k(log pi_k + log N(x|mu_k, Sigma_k)); include "
                      "-D/2 log(2 pi) and -1/2 log det Sigma")
    assert_close(gm.score(Z), expected.mean(), rtol=1e-10, atol=1e-10,
                 what="score(Z)", oracle="mean of the torch log-likelihoods",
                 hint="score is the MEAN log-likelihood per point")


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gmm_predict_proba_matches_torch_posterior(cov_type):
    X = _overlapping_data(seed=9)
    gm = GaussianMixture(n_components=3, covariance_type=cov_type, max_iter=30, seed=3).fit(X)
    expected = _torch_resp(X, gm.weights_, gm.means_, gm.covariances_, cov_type)
    R = gm.predict_proba(X)
    assert_close(R, expected, rtol=1e-9, atol=1e-10,
                 what=f"predict_proba on the training points ({cov_type})",
                 oracle="torch softmax over k of log pi_k + component log_prob",
                 hint="responsibilities are pi_k N(x|k) normalised over k")
    assert_equal(np.asarray(gm.predict(X)), expected.argmax(axis=1),
                 what="predict", oracle="argmax of the torch posterior")


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gmm_far_away_points_stay_finite(cov_type):
    X = _overlapping_data(seed=10) * 0.05  # tight components: densities underflow quickly
    gm = GaussianMixture(n_components=3, covariance_type=cov_type, max_iter=20, seed=0).fit(X)
    Z = np.array([[40.0, -30.0], [-50.0, 10.0], [0.0, 60.0]])
    got = np.asarray(gm.score_samples(Z))
    assert np.all(np.isfinite(got)), (
        f"score_samples is {got.tolist()} for points far from every component: exp of each "
        "log-density underflows to 0, so log(sum exp) gives -inf. Hint: use logsumexp "
        "(subtract the largest term before exponentiating)")
    expected = _torch_log_px(Z, gm.weights_, gm.means_, gm.covariances_, cov_type)
    assert_close(got, expected, rtol=1e-9, what="score_samples at far-away points",
                 oracle="torch.distributions.MixtureSameFamily.log_prob")
    R = np.asarray(gm.predict_proba(Z))
    assert np.all(np.isfinite(R)) and np.allclose(R.sum(axis=1), 1.0, atol=1e-12), (
        f"predict_proba at far-away points must be finite and sum to 1, got {R.tolist()}. "
        "Hint: normalise in log space (subtract the logsumexp), not by dividing tiny numbers")


def _match_means(fitted, true_means, what):
    order = [int(np.argmin(((fitted - m) ** 2).sum(axis=1))) for m in true_means]
    assert sorted(order) == list(range(len(true_means))), (
        f"{what}: fitted means {np.round(fitted, 3).tolist()} do not match the true means "
        f"{true_means.tolist()} one to one")
    return order


def test_gmm_recovers_means_of_well_separated_mixture():
    true_means = np.array([[0.0, 0.0], [8.0, 1.0], [2.0, 9.0]])
    X, y = _blobs(21, true_means, n_per=1000, spread=0.3)
    start = true_means + np.array([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    gm = GaussianMixture(n_components=3, max_iter=200, tol=1e-10, means_init=start).fit(X)
    order = _match_means(gm.means_, true_means, "means_init 1 away from the truth")
    assert_close(gm.means_[order], true_means, rtol=0, atol=0.05,
                 what="fitted means of 3 separated Gaussians (spread 0.3, 1000 points each)",
                 oracle="the true means used to generate the data",
                 hint="check the E-step normalisation and the M-step weighted means")
    sample_means = np.stack([X[y == j].mean(axis=0) for j in range(3)])
    assert_close(gm.means_[order], sample_means, rtol=0, atol=1e-6,
                 what="fitted means vs each cluster's sample mean",
                 oracle="numpy means of the generating clusters (EM's fixed point here)")
    assert_close(gm.weights_[order], np.full(3, 1 / 3), rtol=0, atol=1e-6,
                 what="fitted weights", oracle="equal cluster sizes")


def test_gmm_default_initialisation_finds_separated_clusters():
    # Blobs 100 apart with spread 0.02: k-means++ puts two initial means in one blob with
    # probability < 2e-7 per fit, so this fails for a correct implementation < 1e-6.
    true_means = np.array([[0.0, 0.0], [100.0, 10.0], [20.0, 100.0]])
    X, _ = _blobs(23, true_means, n_per=200, spread=0.02)
    for cov_type in ("full", "diag"):
        for seed in (0, 5):
            gm = GaussianMixture(n_components=3, covariance_type=cov_type, max_iter=100,
                                 tol=1e-8, seed=seed).fit(X)
            order = _match_means(gm.means_, true_means, f"{cov_type}, seed={seed}")
            assert_close(gm.means_[order], true_means, rtol=0, atol=0.05,
                         what=f"fitted means with the default init ({cov_type}, seed={seed})",
                         oracle="the true means used to generate the data",
                         hint="initialise the means by k-means++ and run EM to convergence")


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gmm_regularisation_keeps_a_flat_cluster_finite(cov_type):
    # Every point has the same second feature: the unregularised covariance is singular.
    g = rng(22)
    X = np.column_stack([np.concatenate([g.normal(0, 1, 60), g.normal(10, 1, 60)]),
                         np.full(120, 2.0)])
    reg = 1e-4
    gm = GaussianMixture(n_components=2, covariance_type=cov_type, max_iter=30,
                         reg_covar=reg, seed=0).fit(X)
    covs = np.asarray(gm.covariances_)
    assert np.all(np.isfinite(covs)) and np.all(np.isfinite(gm.log_likelihood_history_)), (
        "a feature that is constant gives a singular covariance; the fit produced non-finite "
        "values. Hint: add reg_covar to the diagonal of every covariance (init and M-step)")
    var2 = covs[:, 1, 1] if cov_type == "full" else covs[:, 1]
    assert_close(var2, np.full(2, reg), rtol=1e-6, atol=1e-12,
                 what=f"variance of the constant feature ({cov_type}, reg_covar={reg})",
                 oracle="0 (no spread) + reg_covar",
                 hint="Sigma_k = weighted scatter / N_k + reg_covar * I")
    assert np.isfinite(gm.score(X)), "score must be finite once covariances are regularised"


def test_gmm_stops_when_improvement_is_below_tol():
    X = _overlapping_data(seed=11)
    gm = GaussianMixture(n_components=3, max_iter=50, tol=1e9, seed=0).fit(X)
    assert gm.n_iter_ == 2 and gm.converged_, (
        f"with tol=1e9 EM must stop at the second E-step (the first check), got "
        f"n_iter_={gm.n_iter_}, converged_={gm.converged_}")
    assert_close(gm.score(X), gm.log_likelihood_history_[-1], rtol=1e-12, atol=1e-12,
                 what="score(X) after converging",
                 oracle="the last history entry (EM stops right after that E-step)")
    gm3 = GaussianMixture(n_components=3, max_iter=3, tol=-1.0, seed=0).fit(X)
    assert gm3.n_iter_ == 3 and not gm3.converged_, (
        f"with max_iter=3 and a negative tol, EM runs exactly 3 iterations without "
        f"converging; got n_iter_={gm3.n_iter_}, converged_={gm3.converged_}")


def test_gmm_seed_drives_the_kmeans_plus_plus_initialisation():
    """The GMM seed drives its k-means++ initialisation."""
    X = _overlapping_data(seed=12)
    firsts = []
    for seed in range(4):
        gm = GaussianMixture(n_components=3, max_iter=1, reg_covar=1e-3, seed=seed).fit(X)
        means0 = kmeans_plus_plus_init(X, 3, np.random.default_rng(seed))
        expected = _torch_log_px(X, np.full(3, 1 / 3), means0,
                                 _initial_covs(X, 3, 1e-3, "full"), "full").mean()
        assert_close(gm.log_likelihood_history_[0], expected, rtol=1e-10, atol=1e-10,
                     what=f"first log-likelihood with seed={seed}",
                     oracle="torch mixture with means kmeans_plus_plus_init(X, 3, "
                            "default_rng(seed)), uniform weights, data covariance",
                     hint="initialise the means with kmeans_plus_plus_init and "
                          "np.random.default_rng(seed)")
        firsts.append(gm.log_likelihood_history_[0])
    assert len(set(firsts)) > 1, "different seeds should give different initial means"


def test_gmm_rejects_bad_inputs():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError):
        GaussianMixture(n_components=2, covariance_type="spherical").fit(X)
    with pytest.raises(ValueError):
        GaussianMixture(n_components=2).fit(np.arange(10.0))
    with pytest.raises(ValueError):
        GaussianMixture(n_components=2, means_init=np.zeros((3, 2))).fit(X)
