"""k-means, k-means++ and Gaussian mixtures by EM (reference solution).

- Lloyd, "Least squares quantization in PCM" (1957/1982): alternate assignment and mean steps.
- Arthur & Vassilvitskii, "k-means++: the advantages of careful seeding" (SODA 2007): draw each
  new centre with probability proportional to D(x)^2.
- Dempster, Laird & Rubin, "Maximum likelihood from incomplete data via the EM algorithm" (1977);
  Bishop, "Pattern Recognition and Machine Learning", section 9.2 (EM for Gaussian mixtures).
"""

from __future__ import annotations

import numpy as np

_EPS = 10 * np.finfo(np.float64).eps


def _check_2d(X: np.ndarray, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (N, D) array, got shape {X.shape}")
    return X


def _squared_distances(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """||x_i - c_j||^2 for every point and centre: (N, D), (K, D) -> (N, K)."""
    diff = X[:, None, :] - C[None, :, :]  # (N, K, D)
    return np.einsum("nkd,nkd->nk", diff, diff)


def kmeans_plus_plus_init(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Choose k initial centres among the rows of X by k-means++ seeding.

    The first centre is a row of X chosen uniformly at random. Each later centre is a row x
    drawn with probability D(x)^2 / sum_x' D(x')^2, where D(x) is the Euclidean distance from x
    to the nearest centre chosen so far (so rows already chosen have probability 0). If every
    D(x) is 0 (fewer distinct rows than k), the next centre is drawn uniformly.

    Args:
        X: (N, D) float array of points.
        k: number of centres, 1 <= k <= N.
        rng: the NumPy generator to draw from (use only this generator, e.g.
            rng.integers / rng.choice / rng.random), so that a seeded generator gives a
            reproducible result.

    Returns:
        (k, D) float64 array: the chosen rows of X, in the order they were chosen.

    Raises:
        ValueError: if X is not 2-D or k is not in [1, N].
    """
    X = _check_2d(X)
    n = X.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, N={n}], got {k}")
    chosen = [int(rng.integers(n))]
    # d2[i]: squared distance from X[i] to its nearest chosen centre so far.
    d2 = _squared_distances(X, X[chosen[0]][None, :])[:, 0]
    for _ in range(1, k):
        total = d2.sum()
        if total > 0:
            nxt = int(rng.choice(n, p=d2 / total))
        else:  # every point coincides with a centre: nothing to prefer
            nxt = int(rng.integers(n))
        chosen.append(nxt)
        d2 = np.minimum(d2, _squared_distances(X, X[nxt][None, :])[:, 0])
    return X[chosen].copy()


class KMeans:
    """k-means clustering by Lloyd's algorithm.

    Minimises the inertia sum_i ||x_i - c_{label_i}||^2 (squared Euclidean distances).

    fit(X) runs, with rng = np.random.default_rng(seed):
      1. Initial centres: init="k-means++" -> kmeans_plus_plus_init(X, n_clusters, rng);
         init="random" -> n_clusters distinct rows of X, rng.choice(N, n_clusters,
         replace=False); init=(n_clusters, D) array -> those centres (rng unused).
      2. For at most max_iter iterations:
         a. assignment: label each point with its nearest centre (ties: lowest centre index),
            and append the inertia of these labels and centres to inertia_history_;
         b. update: move each centre to the mean of its points. Empty cluster rule: a centre
            that received no point keeps its previous position (no crash, no NaN);
         c. stop if no centre moved by more than tol (Euclidean distance).
      3. Final labels_ and inertia_ are computed from the final centres (as in step a).
    So inertia_history_ is non-increasing, len(inertia_history_) == n_iter_ <= max_iter, and
    max_iter=0 leaves the initial centres in place.

    Attributes (after fit):
        cluster_centers_: (n_clusters, D) float64 array.
        labels_: (N,) int array, the nearest centre of each training point.
        inertia_: float, the inertia of labels_ and cluster_centers_.
        inertia_history_: list of floats, one per iteration (step 2a).
        n_iter_: int, the number of iterations run.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        init: str | np.ndarray = "k-means++",
        max_iter: int = 300,
        tol: float = 1e-4,
        seed: int = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed

    def fit(self, X: np.ndarray, y: None = None) -> KMeans:
        """Run k-means on X (see the class docstring for the exact algorithm).

        Args:
            X: (N, D) float array, N >= n_clusters.
            y: ignored (present for the scikit-learn shape).

        Returns:
            self, with the fitted attributes set.

        Raises:
            ValueError: if X is not 2-D, N < n_clusters, init is an unknown string, or an init
                array does not have shape (n_clusters, D).
        """
        X = _check_2d(X)
        k = self.n_clusters
        if X.shape[0] < k:
            raise ValueError(f"need at least n_clusters={k} points, got {X.shape[0]}")
        rng = np.random.default_rng(self.seed)
        centres = self._initial_centres(X, rng)

        self.inertia_history_ = []
        for _ in range(self.max_iter):
            d2 = _squared_distances(X, centres)  # (N, K)
            labels = np.argmin(d2, axis=1)  # argmin keeps the first (lowest) index on ties
            self.inertia_history_.append(float(d2[np.arange(len(X)), labels].sum()))

            new_centres = centres.copy()  # empty clusters keep their old centre
            for j in range(k):
                members = X[labels == j]
                if len(members) > 0:
                    new_centres[j] = members.mean(axis=0)
            shift = np.sqrt(((new_centres - centres) ** 2).sum(axis=1)).max()
            centres = new_centres
            if shift <= self.tol:
                break

        self.cluster_centers_ = centres
        self.n_iter_ = len(self.inertia_history_)
        d2 = _squared_distances(X, centres)
        self.labels_ = np.argmin(d2, axis=1)
        self.inertia_ = float(d2[np.arange(len(X)), self.labels_].sum())
        return self

    def _initial_centres(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        k = self.n_clusters
        if isinstance(self.init, str):
            if self.init == "k-means++":
                return kmeans_plus_plus_init(X, k, rng)
            if self.init == "random":
                return X[rng.choice(X.shape[0], k, replace=False)].copy()
            raise ValueError(f"init must be 'k-means++', 'random' or an array, got {self.init!r}")
        centres = np.array(self.init, dtype=np.float64)
        if centres.shape != (k, X.shape[1]):
            raise ValueError(f"init array must have shape {(k, X.shape[1])}, got {centres.shape}")
        return centres

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Label each row of X with its nearest fitted centre.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) int array of centre indices in [0, n_clusters); ties go to the lowest index.
        """
        X = _check_2d(X)
        return np.argmin(_squared_distances(X, self.cluster_centers_), axis=1)


class GaussianMixture:
    """Gaussian mixture model fitted by expectation-maximisation (EM).

    p(x) = sum_k pi_k N(x | mu_k, Sigma_k).

    fit(X) runs:
      Initialisation: means = means_init if given, else
        kmeans_plus_plus_init(X, n_components, np.random.default_rng(seed)); weights all
        1/n_components; every covariance = the covariance of the whole of X (divided by N)
        plus reg_covar on the diagonal ("diag": just the diagonal, i.e. per-feature variances
        plus reg_covar).
      Then for at most max_iter iterations:
        E-step: responsibilities r_ik = pi_k N(x_i|k) / sum_j pi_j N(x_i|j), computed in log
          space with logsumexp; append the mean log-likelihood (1/N) sum_i log p(x_i) under the
          current parameters to log_likelihood_history_;
        stop (converged_ = True) if this is not the first iteration and the mean
          log-likelihood rose by less than tol since the previous one;
        M-step: N_k = sum_i r_ik (soft counts); pi_k = N_k / N;
          mu_k = sum_i r_ik x_i / N_k;
          Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar * I
          ("diag": the diagonal of that, i.e. weighted variances + reg_covar).
          (You may add 10 * np.finfo(float).eps to N_k when dividing, so that a component
          that lost all its points gives no NaN.)
    reg_covar keeps covariances invertible when a component collapses onto a flat set.

    Attributes (after fit):
        weights_: (K,) float64, sums to 1.
        means_: (K, D) float64.
        covariances_: (K, D, D) for "full", (K, D) for "diag" (the variances).
        log_likelihood_history_: list of floats, one mean log-likelihood per E-step
            (non-decreasing, as EM guarantees).
        n_iter_: int, the number of E-steps run (== len(log_likelihood_history_)).
        converged_: bool.
    """

    def __init__(
        self,
        n_components: int = 1,
        covariance_type: str = "full",
        max_iter: int = 100,
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        seed: int = 0,
        means_init: np.ndarray | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.max_iter = max_iter
        self.tol = tol
        self.reg_covar = reg_covar
        self.seed = seed
        self.means_init = means_init

    def fit(self, X: np.ndarray, y: None = None) -> GaussianMixture:
        """Fit the mixture to X by EM (see the class docstring for the exact algorithm).

        Args:
            X: (N, D) float array, N >= n_components.
            y: ignored.

        Returns:
            self, with the fitted attributes set.

        Raises:
            ValueError: if X is not 2-D, N < n_components, covariance_type is not "full" or
                "diag", or means_init does not have shape (n_components, D).
        """
        X = _check_2d(X)
        n, d = X.shape
        k = self.n_components
        if self.covariance_type not in ("full", "diag"):
            raise ValueError(f"covariance_type must be 'full' or 'diag', got "
                             f"{self.covariance_type!r}")
        if n < k:
            raise ValueError(f"need at least n_components={k} points, got {n}")
        if self.means_init is not None:
            means = np.array(self.means_init, dtype=np.float64)
            if means.shape != (k, d):
                raise ValueError(f"means_init must have shape {(k, d)}, got {means.shape}")
        else:
            means = kmeans_plus_plus_init(X, k, np.random.default_rng(self.seed))

        self.means_ = means
        self.weights_ = np.full(k, 1.0 / k)
        centred = X - X.mean(axis=0)
        if self.covariance_type == "full":
            cov = centred.T @ centred / n + self.reg_covar * np.eye(d)
            self.covariances_ = np.repeat(cov[None], k, axis=0)
        else:
            var = (centred**2).mean(axis=0) + self.reg_covar
            self.covariances_ = np.repeat(var[None], k, axis=0)

        self.log_likelihood_history_ = []
        self.converged_ = False
        for it in range(self.max_iter):
            log_resp, log_px = self._e_step(X)
            self.log_likelihood_history_.append(float(log_px.mean()))
            hist = self.log_likelihood_history_
            if it > 0 and hist[-1] - hist[-2] < self.tol:
                self.converged_ = True
                break
            self._m_step(X, np.exp(log_resp))
        self.n_iter_ = len(self.log_likelihood_history_)
        return self

    def _log_gaussians(self, X: np.ndarray) -> np.ndarray:
        """log N(x_i | mu_k, Sigma_k) for every point and component: (N, K)."""
        n, d = X.shape
        out = np.empty((n, self.n_components))
        for j in range(self.n_components):
            diff = X - self.means_[j]  # (N, D)
            if self.covariance_type == "full":
                # Sigma = L L^T: the Mahalanobis term is ||L^-1 (x - mu)||^2 and
                # log|Sigma| = 2 sum log diag(L).
                L = np.linalg.cholesky(self.covariances_[j])
                z = np.linalg.solve(L, diff.T)  # (D, N)
                maha = (z**2).sum(axis=0)
                log_det = 2.0 * np.log(np.diag(L)).sum()
            else:
                var = self.covariances_[j]
                maha = (diff**2 / var).sum(axis=1)
                log_det = np.log(var).sum()
            out[:, j] = -0.5 * (d * np.log(2 * np.pi) + log_det + maha)
        return out

    def _e_step(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log responsibilities (N, K) and per-point log-likelihoods (N,)."""
        weighted = self._log_gaussians(X) + np.log(self.weights_)  # log pi_k N(x_i|k)
        # logsumexp over components: subtract the row max so that exp never underflows to 0
        # for every component at once (a point far from all of them).
        top = weighted.max(axis=1, keepdims=True)
        log_px = top[:, 0] + np.log(np.exp(weighted - top).sum(axis=1))
        return weighted - log_px[:, None], log_px

    def _m_step(self, X: np.ndarray, resp: np.ndarray) -> None:
        n, d = X.shape
        nk = resp.sum(axis=0)  # soft counts, (K,)
        self.weights_ = nk / n
        self.means_ = resp.T @ X / (nk[:, None] + _EPS)  # (K, D)
        if self.covariance_type == "full":
            covs = np.empty((self.n_components, d, d))
            for j in range(self.n_components):
                diff = X - self.means_[j]
                covs[j] = (resp[:, j, None] * diff).T @ diff / (nk[j] + _EPS)
                covs[j] += self.reg_covar * np.eye(d)
            self.covariances_ = covs
        else:
            sq = np.stack([(resp[:, j, None] * (X - self.means_[j]) ** 2).sum(axis=0)
                           for j in range(self.n_components)])  # (K, D)
            self.covariances_ = sq / (nk[:, None] + _EPS) + self.reg_covar

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log-likelihood log p(x) of each row of X under the fitted mixture.

        log p(x) = logsumexp_k [log pi_k + log N(x | mu_k, Sigma_k)]. Use logsumexp: for a
        point far from every component each term underflows in exp, but log p(x) is finite.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) float64 array.
        """
        return self._e_step(_check_2d(X))[1]

    def score(self, X: np.ndarray) -> float:
        """Mean log-likelihood (1/M) sum_i log p(x_i) of the rows of X.

        Args:
            X: (M, D) float array.

        Returns:
            a Python float.
        """
        return float(self.score_samples(X).mean())

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Responsibilities p(k | x_i) under the fitted mixture (each row sums to 1).

        Args:
            X: (M, D) float array.

        Returns:
            (M, K) float64 array, rows summing to 1, finite even for far-away points.
        """
        return np.exp(self._e_step(_check_2d(X))[0])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most responsible component of each row of X (ties: lowest index).

        Args:
            X: (M, D) float array.

        Returns:
            (M,) int array in [0, K).
        """
        return np.argmax(self.predict_proba(X), axis=1)
