"""Several server replicas acting as one: a Redis bus for agent jobs, presence and invalidation.

Without ``--redis-url`` the server is a single process and none of this runs.
"""

from conexor.cluster.bus import Invalidation, RedisBus
from conexor.cluster.catalog import ClusterCatalogNotifier
from conexor.cluster.invalidation import Invalidator
from conexor.cluster.router import JobRouter

__all__ = ["ClusterCatalogNotifier", "Invalidation", "Invalidator", "JobRouter", "RedisBus"]
