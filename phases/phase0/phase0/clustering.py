"""k-means, k-means++ and Gaussian mixtures by EM.

Three classic ways to find groups in unlabelled data, in NumPy:

- `kmeans_plus_plus_init`: k-means++ seeding (later centres drawn proportionally to D^2).
- `KMeans`: Lloyd's algorithm, with an inertia history you can watch decrease.
- `GaussianMixture`: soft clustering by expectation-maximisation (EM), full or diagonal
  covariances, with a log-likelihood history you can watch increase.

Use NumPy and the standard library only.
"""

from __future__ import annotations

import numpy as np


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
    raise NotImplementedError("phase0.clustering.kmeans_plus_plus_init")


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
        raise NotImplementedError("phase0.clustering.KMeans.fit")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Label each row of X with its nearest fitted centre.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) int array of centre indices in [0, n_clusters); ties go to the lowest index.
        """
        raise NotImplementedError("phase0.clustering.KMeans.predict")


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
        raise NotImplementedError("phase0.clustering.GaussianMixture.fit")

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log-likelihood log p(x) of each row of X under the fitted mixture.

        log p(x) = logsumexp_k [log pi_k + log N(x | mu_k, Sigma_k)]. Use logsumexp: for a
        point far from every component each term underflows in exp, but log p(x) is finite.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) float64 array.
        """
        raise NotImplementedError("phase0.clustering.GaussianMixture.score_samples")

    def score(self, X: np.ndarray) -> float:
        """Mean log-likelihood (1/M) sum_i log p(x_i) of the rows of X.

        Args:
            X: (M, D) float array.

        Returns:
            a Python float.
        """
        raise NotImplementedError("phase0.clustering.GaussianMixture.score")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Responsibilities p(k | x_i) under the fitted mixture (each row sums to 1).

        Args:
            X: (M, D) float array.

        Returns:
            (M, K) float64 array, rows summing to 1, finite even for far-away points.
        """
        raise NotImplementedError("phase0.clustering.GaussianMixture.predict_proba")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most responsible component of each row of X (ties: lowest index).

        Args:
            X: (M, D) float array.

        Returns:
            (M,) int array in [0, K).
        """
        raise NotImplementedError("phase0.clustering.GaussianMixture.predict")
